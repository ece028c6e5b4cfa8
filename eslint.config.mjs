import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/dist', '**/node_modules', '**/.nx', 'docs/**', '**/*.cjs', '**/*.mjs'] },
  ...nx.configs['flat/base'],
  ...tseslint.configs.recommended,
  {
    // The console's browser code is TSX (Preact): the same rules as every .ts file.
    files: ['**/*.ts', 'apps/console/src/**/*.tsx'],
    rules: {
      // Apps depend on libs only; libs never on apps; no app on another app. Test helpers only from tests.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          banTransitiveDependencies: true,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared', 'scope:testing'] },
            { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:shared', 'scope:testing'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Settings are read once, in config.ts through main.ts; nothing else reads the environment.
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read settings through @mesh/config; only main.ts passes process.env.',
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: ['@mesh/testing', '@mesh/mesh-harness'].map((name) => ({
            name,
            message: 'Test helpers are for *.spec.ts and test/ only.',
          })),
        },
      ],
    },
  },
  {
    // Type-aware rules: each linted file must be in its project's tsconfig.json (src/ and test/).
    files: [
      'apps/*/src/**/*.ts',
      'apps/console/src/**/*.tsx',
      'apps/*/test/**/*.ts',
      'libs/*/src/**/*.ts',
      'libs/*/test/**/*.ts',
      'tools/**/*.ts',
      'tests/**/*.ts',
    ],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits or catches turns a bad value into an unhandled rejection, which stops the service.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/only-throw-error': 'error',
    },
  },
  {
    files: [
      'apps/*/src/main.ts',
      '**/*.spec.ts',
      '**/test/**/*.ts',
      'libs/testing/src/**/*.ts',
      'libs/mesh-harness/src/**/*.ts',
      'tools/**/*.ts',
      'tests/**/*.ts',
    ],
    rules: {
      'no-restricted-properties': 'off',
      'no-restricted-imports': 'off',
    },
  },
];

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from './service-process';

/** The parts of a @mesh/config setting the docs show (structural, so this lib depends on no other). */
export interface DocumentedSetting {
  readonly env: string;
  readonly flag?: string;
  readonly default?: string;
  readonly docDefault?: string;
  readonly secret?: boolean;
}

/** Every env var, flag and non-secret default of `spec` that docs/configuration.md does not mention. */
export function undocumentedSettings(spec: Readonly<Record<string, DocumentedSetting>>): string[] {
  const doc = readFileSync(join(WORKSPACE_ROOT, 'docs', 'configuration.md'), 'utf8');
  const missing: string[] = [];
  for (const s of Object.values(spec)) {
    // The setting's table row: `| `ENV`[, `--flag`] | default | meaning |`.
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${s.env}\``));
    if (!row) {
      missing.push(s.env);
      continue;
    }
    if (s.flag && !row.includes(`\`${s.flag}\``)) missing.push(s.flag);
    const shown = s.docDefault ?? (s.default ? `\`${s.default}\`` : undefined);
    if (shown && !s.secret && row.split('|')[2]?.trim() !== shown) missing.push(`${s.env} default ${shown}`);
  }
  return missing;
}

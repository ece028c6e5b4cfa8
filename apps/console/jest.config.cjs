module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'console',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
};

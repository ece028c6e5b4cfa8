module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'process-kit',
  rootDir: __dirname,
};

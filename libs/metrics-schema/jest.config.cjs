module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'metrics-schema',
  rootDir: __dirname,
};

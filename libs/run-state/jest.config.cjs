module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'run-state',
  rootDir: __dirname,
};

module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'mesh-harness',
  rootDir: __dirname,
};

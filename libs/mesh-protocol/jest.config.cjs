module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'mesh-protocol',
  rootDir: __dirname,
};

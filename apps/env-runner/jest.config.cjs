module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'env-runner',
  rootDir: __dirname,
};

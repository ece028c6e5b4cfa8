// Fault tests: built processes killed, stopped and restarted, Redis taken away, hostile input. Each asserts
// the end state (records, counters, stream lengths, pending lists) and is bounded by TEST_DEADLINE_MS waits.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'faults',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.spec.ts'],
};

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Most tests start a database, a broker or a process: 5 s is too short on a busy Pi or CI machine.
  // Tests that take longer say so themselves.
  testTimeout: 30_000,
  reporters: ['default', '<rootDir>/test/reporters/slowest-files.js'],
};

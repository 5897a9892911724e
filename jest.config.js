import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isEngineIndependent } from './test/support/engine-independent.mjs';

/**
 * .ci/run's second pass (PIMONITOR_TEST_PASS=pglite) repeats only the files whose result can depend on the
 * database engine. A file that opens no database says `@engine-independent` in its first lines; it runs
 * in the PostgreSQL pass and in a plain `npm test`. createTestDatabase refuses to serve a file so marked.
 */
const enginePass = process.env.PIMONITOR_TEST_PASS === 'pglite';
const independent = enginePass
  ? readdirSync('test').filter((f) => f.endsWith('.test.ts') && isEngineIndependent(`test/${f}`))
  : [];
if (enginePass) {
  console.log(
    `PGlite pass: ${independent.length} engine-independent test files ran in the PostgreSQL pass and are not repeated`,
  );
}

/** @type {import('jest').Config} */
export default {
  // Node's, ending what a failed or timed-out test left running and naming what a file left open.
  testEnvironment: '<rootDir>/test/support/test-environment.cjs',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...independent.map((f) => `/test/${f.replaceAll('.', '\\.')}$`)],
  // Most files wait on processes, sockets and databases rather than compute: jest's default (cores - 1,
  // so one worker on a 2-core machine) leaves the machine idle. At most 6: each file may hold a PGlite,
  // a broker and a few Node processes (a few hundred MB). PIMONITOR_TEST_WORKERS overrides.
  maxWorkers: Number(process.env.PIMONITOR_TEST_WORKERS ?? Math.min(6, Math.max(3, availableParallelism() + 1))),
  // Most tests start a database, a broker or a process: 5 s is too short on a busy Pi or CI machine.
  // Tests that take longer say so themselves.
  testTimeout: 30_000,
  reporters: ['default', '<rootDir>/test/reporters/slowest-files.js'],
};

import { readFileSync } from 'node:fs';

/**
 * The mark of a test file that opens no database, so .ci/run's PGlite pass need not repeat it
 * (jest.config.js reads it; createTestDatabase refuses to serve a file that carries it).
 */
export const ENGINE_INDEPENDENT_MARK = '@engine-independent';

/** Whether the test file at `path` carries the mark in its first lines. */
export function isEngineIndependent(path) {
  return readFileSync(path, 'utf8').slice(0, 1500).includes(ENGINE_INDEPENDENT_MARK);
}

import { backoffMs } from '../shared/backoff.js';
import { classifyWriteError } from '../ingest/retryable.js';

const pgError = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });

test.each([
  ['check constraint', pgError('23514'), 'data'],
  ['unique violation', pgError('23505'), 'data'],
  ['numeric out of range', pgError('22003'), 'data'],
  ['invalid text representation', pgError('22P02'), 'data'],
  ['connection refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'retry'],
  ['connection reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'retry'],
  ['connection terminated', new Error('Connection terminated unexpectedly'), 'retry'],
  ['admin shutdown (pg_terminate_backend)', pgError('57P01'), 'retry'],
  ['serialization failure', pgError('40001'), 'retry'],
  ['too many connections', pgError('53300'), 'retry'],
  ['disk full', pgError('53100'), 'retry'],
  ['table dropped by hand: wait for the operator, never reject readings for it', pgError('42P01'), 'retry'],
  ['permission denied', pgError('42501'), 'retry'],
  ['not an error object', 'boom', 'retry'],
])('%s → %s', (_name, err, expected) => {
  expect(classifyWriteError(err)).toBe(expected);
});

test('backoff grows exponentially to its ceiling, with jitter in the upper half', () => {
  const options = { initialMs: 100, maxMs: 1000 };
  expect([1, 2, 3, 4, 5, 10].map((n) => backoffMs(n, options, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
  expect([1, 2, 3, 4, 5, 10].map((n) => backoffMs(n, options, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
});

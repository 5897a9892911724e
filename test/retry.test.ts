// @engine-independent: opens no database (jest.config.js)
import { backoffMs } from '../shared/backoff.js';
import { classifyDbError } from '../shared/db-errors.js';

const pgError = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });

test.each([
  ['check constraint', pgError('23514'), 'permanent'],
  ['unique violation', pgError('23505'), 'permanent'],
  ['numeric out of range', pgError('22003'), 'permanent'],
  ['invalid text representation', pgError('22P02'), 'permanent'],
  ['NUL in text', pgError('22P05'), 'permanent'],
  ['syntax error (a value broke the SQL)', pgError('42601'), 'permanent'],
  ['an exception while building the batch', new RangeError('Invalid time value'), 'permanent'],
  ['not an error object', 'boom', 'permanent'],
  ['undefined', undefined, 'permanent'],
  ['connection refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'transient'],
  ['connection reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'transient'],
  ['broken pipe', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }), 'transient'],
  ['connection terminated', new Error('Connection terminated unexpectedly'), 'transient'],
  ['pg connect timeout', new Error('Connection terminated due to connection timeout'), 'transient'],
  ['pg query timeout', new Error('Query read timeout'), 'transient'],
  ['protocol violation (class 08)', pgError('08P01'), 'transient'],
  ['admin shutdown (pg_terminate_backend)', pgError('57P01'), 'transient'],
  ['statement timeout', pgError('57014'), 'transient'],
  ['serialization failure', pgError('40001'), 'transient'],
  ['too many connections', pgError('53300'), 'transient'],
  ['disk full', pgError('53100'), 'transient'],
  ['table dropped by hand: wait for the operator, never reject readings for it', pgError('42P01'), 'transient'],
  ['permission denied', pgError('42501'), 'transient'],
  ['read-only server', pgError('25006'), 'transient'],
])('%s → %s', (_name, err, expected) => {
  expect(classifyDbError(err)).toBe(expected);
});

test('backoff grows exponentially to its ceiling, with jitter in the upper half', () => {
  const options = { initialMs: 100, maxMs: 1000 };
  expect([1, 2, 3, 4, 5, 10].map((n) => backoffMs(n, options, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
  expect([1, 2, 3, 4, 5, 10].map((n) => backoffMs(n, options, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
});

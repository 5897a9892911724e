/**
 * Decides what a failed batch write means. Pure.
 *
 * - 'retry': the database or the way to it is unwell (connection lost, server shutting down, out of
 *   connections, serialization failure); the same batch will succeed later.
 * - 'data': the batch itself holds something the database refuses (SQLSTATE class 22 data exception
 *   or 23 integrity constraint); split it until the offending message is isolated and rejected.
 *
 * Anything unknown is retried: rejecting readings because of a problem that is not theirs (a dropped
 * table, a permission) would lose them, while retrying only waits until an operator fixes it.
 */
export function classifyWriteError(err: unknown): 'retry' | 'data' {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && (code.startsWith('22') || code.startsWith('23'))) return 'data';
  return 'retry';
}

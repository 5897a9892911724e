/**
 * Rejects after `ms` with an ETIMEDOUT error (which shared/db-errors.ts classifies as transient); the
 * call itself is not cancelled. For every wait on a peer that may go silent.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what = 'database call'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Rejects after `ms` with an ETIMEDOUT error (which shared/db-errors.ts classifies as transient); the
 * call itself is not cancelled. For every wait on a peer that may go silent.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what = 'database call'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    const error = () => Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: 'ETIMEDOUT' });
    timer = setTimeout(() => reject(error()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Waits for `promise` to settle, at most `ms`; never throws. Resolves true when it settled in time
 * (fulfilled or rejected), false at the deadline (it is not cancelled). For a stop's bounded waits.
 */
export function waitAtMost(promise: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
    timer.unref();
  });
  const settled = Promise.resolve(promise).then(() => true as const, () => true as const);
  return Promise.race([settled, deadline]).finally(() => clearTimeout(timer));
}

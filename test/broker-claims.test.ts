// @engine-independent: opens no database (jest.config.js)
import { jest } from '@jest/globals';
import { redisClaims, type RedisLike } from '../broker/claims.js';

// A Redis that stops answering (ioredis queues commands while it reconnects): a claim, and so a CONNECT
// that needs one, is refused after the timeout instead of waiting for ever.
test('a claim waiting on a silent Redis fails with a timeout', async () => {
  jest.useFakeTimers();
  try {
    const never = () => new Promise<never>(() => {});
    const silent: RedisLike = { hgetall: never, hsetnx: never, hget: never, eval: never };
    const backend = redisClaims(silent);
    const outcomes = [
      backend.claim('client:x', 'a'), backend.release('client:x', 'a'), backend.transfer('client:x', 'a', 'b'),
      backend.load(),
    ].map((p) =>
      p.then(
        () => 'answered', (err: { code?: string }) => err.code,
      ),
    );
    await jest.advanceTimersByTimeAsync(5000);
    expect(await Promise.all(outcomes)).toEqual(['ETIMEDOUT', 'ETIMEDOUT', 'ETIMEDOUT', 'ETIMEDOUT']);
  } finally {
    jest.useRealTimers();
  }
});

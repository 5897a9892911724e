// @engine-independent: opens no database (jest.config.js)
import { waitAtMost, withTimeout } from '../shared/timeout.js';

const never = new Promise<never>(() => {});

test('waitAtMost says whether a promise settled in time, and never throws', async () => {
  expect(await waitAtMost(Promise.resolve(1), 1000)).toBe(true);
  expect(await waitAtMost(Promise.reject(new Error('no')), 1000)).toBe(true);
  expect(await waitAtMost(undefined, 1000)).toBe(true);
  expect(await waitAtMost(never, 20)).toBe(false);
  expect(await waitAtMost(never, -5)).toBe(false);
});

test('withTimeout still rejects with ETIMEDOUT', async () => {
  await expect(withTimeout(never, 10, 'the test call')).rejects.toMatchObject({
    code: 'ETIMEDOUT', message: 'the test call timed out after 10 ms',
  });
});

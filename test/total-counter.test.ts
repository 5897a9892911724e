// @engine-independent: opens no database (jest.config.js)
import { Registry } from 'prom-client';
import { registerTotalCounter } from '../shared/total-counter.js';

test('a counter read from a running total grows by what the total grew, and not back when it restarts', async () => {
  const registry = new Registry();
  let total = 0;
  registerTotalCounter(registry, 'demo_total', 'A total kept elsewhere.', () => total);
  const scrape = async () => (await registry.getSingleMetric('demo_total')!.get()).values[0]!.value;
  total = 5;
  expect(await scrape()).toBe(5);
  total = 7;
  expect(await scrape()).toBe(7);
  total = 0; // a new client's total starts again
  expect(await scrape()).toBe(7);
  total = 3;
  expect(await scrape()).toBe(10);
});

// @engine-independent: opens no database (jest.config.js)
import mqemitter from 'mqemitter';
import { createEmitter, guardRecursion } from '../broker/emitter.js';

/**
 * Reproduces mcollina/mqemitter pull request 204 without a broker: one slow delivery holds the only
 * concurrency slot while 50,000 messages queue; when it completes, the queue drains through listeners
 * that finish synchronously, and the unguarded emitter recurses once per queued message.
 */
function floodAfterSlowDelivery(emitter: ReturnType<typeof mqemitter>): { delivered: number; error?: unknown } {
  let delivered = 0;
  let release: (() => void) | undefined;
  emitter.on('home/slow/x', (_m: unknown, done: () => void) => {
    release = done;
  });
  emitter.on('home/fast/+', (_m: unknown, done: () => void) => {
    delivered++;
    done();
  });
  emitter.emit({ topic: 'home/slow/x' });
  for (let i = 0; i < 50_000; i++) emitter.emit({ topic: `home/fast/${i % 10}`, i });
  try {
    release!();
  } catch (error) {
    return { delivered, error };
  }
  return { delivered };
}

test('without the guard, draining a queue of synchronous deliveries overflows the stack (the upstream bug)', () => {
  const { error } = floodAfterSlowDelivery(mqemitter({ concurrency: 1 }));
  expect(error).toBeInstanceOf(RangeError);
});

test('with the guard, the same queue drains in order with no recursion', () => {
  const emitter = guardRecursion(mqemitter({ concurrency: 1 }));
  const order: number[] = [];
  emitter.on('home/fast/0', (m: { topic: string }, done: () => void) => {
    order.push((m as { topic: string; i: number }).i);
    done();
  });
  const { delivered, error } = floodAfterSlowDelivery(emitter);
  expect(error).toBeUndefined();
  expect(delivered).toBe(50_000);
  expect(order).toEqual(Array.from({ length: 5000 }, (_, k) => k * 10));
});

test(
  'the in-memory emitter does not match empty levels with +, as the in-memory store of aedes-persistence does not',
  () => {
    const seen: string[] = [];
    const memory = createEmitter({ concurrency: 10, matchEmptyLevels: false });
    memory.on('home/+/+', (m: { topic: string }, done: () => void) => {
      seen.push(m.topic);
      done();
    });
    memory.emit({ topic: 'home//x' });
    memory.emit({ topic: 'home/a/x' });
    expect(seen).toEqual(['home/a/x']);
  },
);

import fc from 'fast-check';
import { DEFAULT_LIMITS } from '../shared/contract.js';
import { classify } from '../ingest/entries.js';
import { eventually } from './helpers/net.js';
import { startPipeline, type Pipeline } from './helpers/pipeline.js';
import { FUZZ_SEED, fuzzRuns, hostilePayload, publishableTopic } from './support/hostile.js';

// Hostile messages through the real broker, ingest and database, then one good reading: it must be
// stored, and every hostile message must have become rows or exactly one rejected_messages row.
// CI sends 1,500 with a fixed seed; a longer run: FUZZ_RUNS=20000 npm run test:fuzz
const COUNT = fuzzRuns(1500);


let p: Pipeline | undefined;
afterEach(async () => {
  await p?.stop();
  p = undefined;
}, 240_000);

test(
  `${COUNT} generated hostile messages, then a good reading: the reading is stored and each bad message has one reason`,
  async () => {
    p = await startPipeline({ flushIntervalMs: 20 });
    const pipeline = p;
    const messages = fc.sample(fc.tuple(publishableTopic, hostilePayload), { seed: FUZZ_SEED, numRuns: COUNT });
    // Ingest subscribes to home/+/+; deeper topics (diag, or junk) never reach it, and with the in-memory
    // broker + matches no empty level (see broker/emitter.ts).
    const received = messages.filter(([topic]) => topic.split('/').length === 3 && !topic.split('/').includes(''));
    // What each becomes, by the same pure classifier ingest runs (the receive time only matters for a ts near now).
    const expectedRejected = received.filter(
      ([topic, payload]) => classify(topic, payload, new Date(), DEFAULT_LIMITS).kind === 'rejected',
    ).length;
    for (let i = 0; i < messages.length; i += 100) {
      await Promise.all(
        messages
          .slice(i, i + 100)
          .map(([topic, payload]) => pipeline.publisher.publishAsync(topic, payload, { qos: 1 })),
      );
    }
    const sentAt = Date.now();
    await pipeline.publisher.publishAsync('home/after-fuzz/dht22', JSON.stringify({ temperature: 21.5 }), { qos: 1 });
    await eventually(
      'the good reading after the hostile ones',
      async () =>
        (await pipeline.database.db.oneOrNone("SELECT 1 FROM readings WHERE device = 'after-fuzz'")) ? true : undefined,
      60_000,
    );
    const latencyMs = Date.now() - sentAt;

    await eventually('every message handled', async () =>
      pipeline.worker.stats.messages === received.length + 1 && pipeline.worker.backlogBytes === 0 ? true : undefined,
    ).catch((err: Error) => {
      const state = { ...pipeline.worker.stats, expected: received.length + 1, backlog: pipeline.worker.backlogBytes };
      throw new Error(`${err.message}: ${JSON.stringify(state)}`);
    });
    const byCode = await pipeline.database.db.map(
      'SELECT code, count(*)::int AS n FROM rejected_messages GROUP BY code ORDER BY code', [],
      (r: { code: string; n: number }) => `${r.code} ${r.n}`,
    );
    const { n: stored } = await pipeline.database.db.one<{ n: number }>(
      'SELECT count(*)::int AS n FROM rejected_messages',
    );
    const { n: empty } = await pipeline.database.db.one<{ n: number }>(
      'SELECT count(*)::int AS n FROM rejected_messages WHERE length(reason) < 5',
    );
    console.log(
      `fuzz: ${COUNT} messages published, ${received.length} on home/+/+, ${stored} rejected (${byCode.join(', ')}), ` +
        `good reading stored ${latencyMs} ms after it was sent`,
    );
    expect(pipeline.worker.stats.dropped).toBe(0);
    expect(stored).toBe(pipeline.worker.stats.rejected);
    expect(stored).toBe(expectedRejected);
    expect(empty).toBe(0);
    expect(byCode.some((c) => c.startsWith('unexpected'))).toBe(false);
  },
  240_000,
);

import { eventually } from './helpers/net.js';
import { startPipeline, type Pipeline } from './helpers/pipeline.js';

// Intake writes the messages of a tick to the spool together and lets their PUBACKs go only after that
// write (ingest/intake.ts batching). Here the write fails once: nothing may be acknowledged, so the
// broker delivers the messages again, and each is stored exactly once.

let p: Pipeline;
afterEach(async () => p?.stop(), 30_000);

test(
  'a failed spool write drops the connection unacknowledged; the broker redelivers and each reading is stored once',
  async () => {
    p = await startPipeline();
    // What Spool.flush does when the disk refuses the write: the records are gone, the positions given back.
    const spool = (p.worker as unknown as { spool: { flush(): void; pending: Buffer[]; headPosition: number } }).spool;
    const flush = spool.flush.bind(spool);
    let failures = 0;
    spool.flush = () => {
      if (failures === 0 && spool.pending.length > 1) {
        failures++;
        spool.headPosition -= spool.pending.reduce((n, b) => n + b.length, 0);
        spool.pending = [];
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      flush();
    };
    const failed: string[] = [];
    p.worker.on('failed', ({ during }) => failed.push(during));
    const payloads = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({ temperature: 20 + i / 10, ts: new Date(Date.UTC(2026, 0, 5, 0, i)).toISOString() }),
    );
    // Over ten sensors: the broker publishes one topic's QoS 1 messages one after another (in order), so
    // several reach ingest in one tick only from several topics.
    await Promise.all(payloads.map((m, i) => p.publisher.publishAsync(`home/batchdev/dht${i % 10}`, m, { qos: 1 })));
    await eventually(
      'all 50 stored',
      async () =>
        (await p.database.db.one<{ n: number }>("SELECT count(*)::int AS n FROM readings WHERE device = 'batchdev'"))
          .n === 50
          ? true
          : undefined,
      20_000,
    );
    expect(failures).toBe(1);
    expect(failed).toEqual([expect.stringContaining('writing received messages to the spool')]);
    // Stored once each, though some were delivered twice.
    expect(
      await p.database.db.one("SELECT count(DISTINCT ts)::int AS n FROM readings WHERE device = 'batchdev'"),
    ).toEqual({ n: 50 });
  },
  40_000,
);

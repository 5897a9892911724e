import { eventually } from './helpers/net.js';
import { startPipeline } from './helpers/pipeline.js';

test('a full batch is written at once, the rest waits for the interval, and stop() writes it', async () => {
  const p = await startPipeline({ batchMaxRows: 10, flushIntervalMs: 60_000 });
  let stopped = false;
  try {
    for (let i = 0; i < 25; i++) {
      await p.publisher.publishAsync(
        'home/batch/dht22', JSON.stringify({ temperature: i, ts: Date.UTC(2026, 0, 1, 0, i) }), { qos: 1 },
      );
    }
    await eventually('25 messages received', async () => (p.worker.stats.messages === 25 ? true : undefined));
    // Two full batches: in two commits, or in one if both were waiting when the first began (batchRowsFor).
    await eventually('two full batches written', async () => (p.worker.stats.rowsWritten === 20 ? true : undefined));
    expect(await p.database.db.one("SELECT count(*)::int AS n FROM readings WHERE device = 'batch'")).toEqual({
      n: 20,
    });
    expect(p.worker.backlogBytes).toBeGreaterThan(0);
    await p.publisher.endAsync();
    await p.worker.stop();
    stopped = true;
    expect(
      await p.database.db.one("SELECT count(*)::int AS n, max(value)::int AS top FROM readings WHERE device = 'batch'"),
    ).toEqual({ n: 25, top: 24 });
  } finally {
    if (stopped) {
      await p.broker.stop();
      await p.database.stop();
    } else {
      await p.stop();
    }
  }
});

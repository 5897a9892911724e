import { eventually } from './helpers/net.js';
import { startPipeline } from './helpers/pipeline.js';

test('a message the database refuses is isolated into rejected_messages; its batch neighbours are stored', async () => {
  // Long flush interval: all ten messages land in one batch, so the bad one must be split out of it.
  const p = await startPipeline({ flushIntervalMs: 300 });
  try {
    // An operator's own rule, the kind of thing validation cannot know about.
    await p.database.db.none('ALTER TABLE readings_raw ADD CONSTRAINT plausible_energy CHECK (value < 1e12)');
    const isolated: string[] = [];
    p.worker.on('isolated', ({ topic }) => isolated.push(topic));
    for (let i = 0; i < 10; i++) {
      const energy = i === 6 ? 1e300 : i * 100;
      await p.publisher.publishAsync(
        `home/meter${i}/power`, JSON.stringify({ energy, ts: Date.UTC(2026, 0, 1, 0, 0, i) }), { qos: 1 },
      );
    }
    await eventually('all ten handled', async () =>
      p.worker.stats.messages === 10 && p.worker.backlogBytes === 0 ? true : undefined,
    );
    expect(isolated).toEqual(['home/meter6/power']);
    const stored = await p.database.db.map(
      "SELECT device FROM readings WHERE device LIKE 'meter%' ORDER BY device", [], (r: { device: string }) => r.device,
    );
    expect(stored).toEqual(['meter0', 'meter1', 'meter2', 'meter3', 'meter4', 'meter5', 'meter7', 'meter8', 'meter9']);
    const rejected = await p.database.db.one('SELECT topic, code, reason, payload_bytes FROM rejected_messages');
    expect(rejected).toMatchObject({ topic: 'home/meter6/power', code: 'database' });
    expect(rejected.reason).toMatch(/^the database refused this message: .*plausible_energy/);
    // And the worker carries on.
    await p.publisher.publishAsync('home/meter10/power', '{"energy": 5}', { qos: 1 });
    await eventually('the next message', async () =>
      (await p.database.db.oneOrNone("SELECT 1 FROM readings WHERE device = 'meter10'")) ? true : undefined,
    );
  } finally {
    await p.stop();
  }
});

test(
  'a reading older than the raw readings kept is stored as a rejection naming RETENTION_RAW_DAYS; its neighbours are ' +
    'stored',
  async () => {
    const p = await startPipeline({ flushIntervalMs: 300 });
    try {
      await p.database.db.none("UPDATE storage_settings SET raw_keep = interval '30 days'");
      const now = Date.now();
      await p.publisher.publishAsync(
        'home/porch/dht22', JSON.stringify({ temperature: 4, ts: now - 70 * 86_400_000 }), { qos: 1 },
      );
      await p.publisher.publishAsync('home/porch/dht22', JSON.stringify({ temperature: 5, ts: now - 1000 }), {
        qos: 1,
      });
      await eventually('both handled', async () =>
        p.worker.stats.messages === 2 && p.worker.backlogBytes === 0 ? true : undefined,
      );
      expect(await p.database.db.any("SELECT value FROM readings WHERE device = 'porch'")).toEqual([{ value: 5 }]);
      const rejected = await p.database.db.one('SELECT code, reason FROM rejected_messages');
      expect(rejected.code).toBe('database');
      expect(rejected.reason).toMatch(
        /older than the raw readings kept: RETENTION_RAW_DAYS is 30, so nothing before \d{4}-\d{2}-01 is stored/,
      );
    } finally {
      await p.stop();
    }
  },
);

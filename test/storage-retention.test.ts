import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listMigrations, migrate } from '../shared/migrate.js';
import { listPartitions } from '../storage/partitions.js';
import { applyRetention, planRetention, type RetentionPolicy } from '../storage/retention.js';
import { rollUp } from '../storage/rollup.js';
import { applyStorageSettings } from '../storage/settings.js';
import { createMigratedTestDatabase, createTestDatabase, type TestDatabase } from './helpers/database.js';
import { emptyStorage, fromScratch, stored, writeBatch } from './helpers/storage.js';

const DAY = 86_400_000;
let t: TestDatabase;
beforeAll(async () => {
  t = await createMigratedTestDatabase();
}, 60_000);
afterAll(async () => t?.stop());

const monthEnd = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));

test(
  'retention drops whole partitions and old rows, exactly what the dry run listed, and keeps the rollups',
  async () => {
    await emptyStorage(t.db);
    // The database's clock decides what ingest refuses, so the data is placed around the real now.
    const now = new Date();
    const policy: RetentionPolicy = { rawDays: 90, fiveMinuteDays: 120, hourDays: 150, dayDays: 0, rejectedDays: 30 };
    await applyStorageSettings(t.db, { rawKeepDays: policy.rawDays, rollupTimeZone: 'UTC' });
    try {
      const days = Array.from({ length: 170 }, (_, i) => new Date(now.getTime() - (169 - i) * DAY));
      await t.db.none('UPDATE storage_settings SET raw_keep = NULL'); // seeding the past is allowed
      await writeBatch(t.db, days.map((ts, i) => ({ device: 'shed', ts, value: i })));
      await applyStorageSettings(t.db, { rawKeepDays: policy.rawDays, rollupTimeZone: 'UTC' });
      await rollUp(t.db);
      await t.db.none(
        `INSERT INTO rejected_messages (received_at, topic, payload, payload_bytes, code, reason)
          SELECT $1::timestamptz - make_interval(days => d), 'home/x/y', '\\x00', 1, 'json', 'payload is not JSON'
          FROM generate_series(0, 59) d`,
        [now],
      );

      const plan = await planRetention(t.db, policy, now);
      const expectedPartitions = (await listPartitions(t.db))
        .filter((p) => monthEnd(p.from).getTime() <= now.getTime() - (p.parent === 'readings_raw' ? 90 : 120) * DAY)
        .map((p) => p.name);
      expect(plan.filter((i) => i.kind === 'partition').map((i) => i.name)).toEqual(expectedPartitions);
      expect(expectedPartitions.length).toBeGreaterThanOrEqual(3);
      const rawRowsPlanned = plan
        .filter((i) => i.kind === 'partition' && i.table === 'readings_raw')
        .reduce((n, i) => n + i.rows, 0);
      const rowsPlanned = Object.fromEntries(plan.filter((i) => i.kind === 'rows').map((i) => [i.table, i.rows]));
      expect(rowsPlanned).toEqual({ rollup_1h: expect.any(Number), rejected_messages: 29 });
      expect(plan.every((i) => i.bytes > 0)).toBe(true);

      const rawBefore = await t.db.one<{ n: number }>('SELECT count(*)::int AS n FROM readings_raw');
      const hoursBefore = await t.db.one<{ n: number }>('SELECT count(*)::int AS n FROM rollup_1h');
      const daysBefore = await stored(t.db, '1d', 'table');
      await applyRetention(t.db, plan);

      const partitionsLeft = (await listPartitions(t.db)).map((p) => p.name);
      expect(partitionsLeft.filter((n) => expectedPartitions.includes(n))).toEqual([]);
      const rawAfter = await t.db.one('SELECT count(*)::int AS n FROM readings_raw');
      expect(rawAfter).toEqual({ n: rawBefore.n - rawRowsPlanned });
      const hoursAfter = await t.db.one('SELECT count(*)::int AS n FROM rollup_1h');
      expect(hoursAfter).toEqual({ n: hoursBefore.n - rowsPlanned.rollup_1h! });
      expect(await t.db.one('SELECT count(*)::int AS n FROM rejected_messages')).toEqual({ n: 60 - 29 });
      // Daily rollups are kept forever, also for the months whose raw readings are gone.
      expect(await stored(t.db, '1d', 'table')).toEqual(daysBefore);
      expect(await planRetention(t.db, policy, now)).toEqual([]);

      // A reading older than what is kept is refused with a reason naming the setting.
      await expect(writeBatch(t.db, [{ device: 'shed', ts: new Date(now.getTime() - 150 * DAY), value: 1 }]))
        .rejects.toThrow(
          /older than the raw readings kept: RETENTION_RAW_DAYS is 90, so nothing before \d{4}-\d{2}-01 is stored/,
        );
      // One within it is stored, its partition made if needed.
      await writeBatch(t.db, [{ device: 'shed', ts: new Date(now.getTime() - 80 * DAY + 1000), value: 1 }]);
    } finally {
      await applyStorageSettings(t.db, { rawKeepDays: 0, rollupTimeZone: 'UTC' });
    }
  },
);

test('a database written by schema version 3 is converted in place, losing nothing', async () => {
  const old = await createTestDatabase();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'pimonitor-v3-'));
    for (const m of listMigrations().filter((m) => m.version <= 3)) copyFileSync(m.path, join(dir, m.name));
    await migrate(old.db, () => {}, dir);
    await old.db.none(`
      INSERT INTO readings (ts, device, sensor, metric, value)
      SELECT ts, 'node' || n, 'dht22', metric, n * 10 + extract(epoch FROM ts)::bigint % 97 / 10.0
      FROM generate_series(timestamptz '2026-01-30 00:00Z', '2026-02-02 00:00Z', '7 minutes') ts,
        generate_series(1, 3) n, unnest(ARRAY['temperature', 'humidity']) metric;
      INSERT INTO series SELECT device, sensor, metric, min(ts), max(ts) FROM readings GROUP BY 1, 2, 3;
      INSERT INTO devices VALUES ('node1', '2026-01-30', '2026-02-02', 'online', '2026-01-30');`);
    const readings = 'SELECT ts, device, sensor, metric, value FROM readings ORDER BY device, sensor, metric, ts';
    const latest = 'SELECT device, sensor, metric, ts, value FROM latest_readings ORDER BY 1, 2, 3';
    const before = await old.db.any(readings);
    const latestBefore = await old.db.any(latest);

    const result = await migrate(old.db);
    const later = listMigrations().filter((m) => m.version > 3).map((m) => m.version);
    expect(result.applied.map((m) => m.version)).toEqual(later);
    expect(await old.db.any(readings)).toEqual(before);
    expect(await old.db.any(latest)).toEqual(latestBefore);
    expect((await listPartitions(old.db)).map((p) => p.name)).toEqual(['readings_raw_2026_01', 'readings_raw_2026_02']);
    expect(await old.db.one("SELECT unit FROM series WHERE metric = 'humidity' LIMIT 1")).toEqual({ unit: '%' });
    // The rollups are up to date at once through the views, and in the tables after the job has run.
    expect(await stored(old.db, '1h', 'view')).toEqual(await fromScratch(old.db, '1h'));
    await rollUp(old.db);
    expect(await stored(old.db, '1d', 'table')).toEqual(await fromScratch(old.db, '1d'));
  } finally {
    await old.stop();
  }
}, 60_000);

import { planArchive, runArchive } from '../storage/archive.js';
import { compactPartitions } from '../storage/compact.js';
import { Maintenance } from '../storage/maintenance.js';
import { applyRetention, planRetention } from '../storage/retention.js';
import { diskUsage } from '../storage/usage.js';
import { history } from '../web/queries.js';
import type { HistoryQuery } from '../web/params.js';
import { useStorageDatabase, writeBatch, writeThroughView } from './helpers/storage.js';

// The archive tier's cases one by one (sql/020_archive.sql, storage/archive.ts); the property test is
// test/storage-archive.test.ts.
const t = useStorageDatabase('UTC');

const OCT = Date.UTC(2026, 9, 1);
const NOV = Date.UTC(2026, 10, 1);
const at = (ms: number) => new Date(ms);
const DAY_MS = 86_400_000;
/** Three days of October, a reading every 5 minutes. */
const october = Array.from({ length: 3 * 288 }, (_, i) => ({
  device: 'attic', ts: at(OCT + DAY_MS + i * 300_000), value: (i % 50) / 10,
}));
/** Readings raw, archived, through the view, and counted by the daily rollups. */
const counts = async () => t.db.one<{ raw: number; archived: number; view: number; rolled: number }>(`
  SELECT (SELECT count(*)::int FROM readings_raw) AS raw,
    (SELECT coalesce(sum(n), 0)::int FROM readings_archive) AS archived,
    (SELECT count(*)::int FROM readings) AS view, (SELECT sum(count)::int FROM rollup_1d) AS rolled`);
/** What counts() must say: `raw` and `archived` readings, each read and counted once. */
const once = (raw: number, archived: number) => ({ raw, archived, view: raw + archived, rolled: raw + archived });
const archiveAll = async () => runArchive(t.db, await planArchive(t.db, at(NOV)));

test('archiving moves a past month into a row per series and day and empties its partition; reads agree', async () => {
  await writeBatch(t.db, [...october, { device: 'attic', ts: at(NOV + 1000), value: 1 }]);
  const before = await t.db.any('SELECT ts, value FROM readings ORDER BY ts');
  const plan = await planArchive(t.db, at(NOV));
  expect(plan.map((m) => [m.partition, m.seriesIds.length])).toEqual([['readings_raw_2026_10', 1]]);
  const progress: number[] = [];
  const result = await runArchive(t.db, plan, { onProgress: (p) => progress.push(p.done) });
  expect(result).toEqual({
    readings: october.length, chunks: 1, busy: 0, released: ['readings_raw_2026_10'], complete: true,
  });
  expect(progress).toEqual([1]);
  expect(await t.db.any('SELECT day, n FROM readings_archive ORDER BY day'))
    .toEqual([1, 2, 3].map((d) => ({ day: at(OCT + d * DAY_MS), n: 288 })));
  expect(await t.db.any('SELECT ts, value FROM readings ORDER BY ts')).toEqual(before);
  expect(await counts()).toEqual(once(1, october.length));
  expect(await planArchive(t.db, at(NOV))).toEqual([]);
});

test('a day of readings every 10 s is compressed to a few bytes a value (pglz, on PGlite and PostgreSQL)', async () => {
  // As a node times them: a little late each cycle, now and then a retry seconds in.
  const day = Array.from({ length: 8640 }, (_, i) => ({
    device: 'attic', ts: at(OCT + DAY_MS + i * 10_002 + (i % 7 === 3 ? 900 : 0)), value: 20 + ((i >> 6) % 30) / 10,
  }));
  for (let i = 0; i < day.length; i += 2000) await writeBatch(t.db, day.slice(i, i + 2000));
  await archiveAll();
  const { n, bytes } = await t.db.one<{ n: number; bytes: number }>(
    'SELECT sum(n)::int AS n, sum(pg_column_size(offsets) + pg_column_size(vals))::int AS bytes FROM readings_archive',
  );
  expect(n).toBe(8640);
  expect(bytes / n).toBeLessThan(3); // uncompressed: 12 bytes a value
});

test('a redelivered archived reading is stored and counted once, by ingest (COPY or INSERT) or the view', async () => {
  await writeBatch(t.db, october);
  await archiveAll();
  const before = await counts();
  await writeBatch(t.db, [october[5]!]); // alone: on PostgreSQL the COPY succeeds, then must fail over
  await writeBatch(t.db, [october[6]!, { device: 'attic', ts: at(OCT + 7 * DAY_MS), value: 9 }]);
  await writeThroughView(t.db, [october[7]!]);
  expect(await counts()).toEqual(once(1, october.length));
  expect(before.archived).toBe(october.length);
});

test('a late reading for an archived day lands raw, reaches the rollups, and joins its day next time', async () => {
  await writeBatch(t.db, october);
  await archiveAll();
  const day = at(OCT + DAY_MS);
  await writeBatch(t.db, [{ device: 'attic', ts: at(day.getTime() + 150_000), value: 42 }]);
  expect(await t.db.one('SELECT max, count FROM rollup_5m WHERE bucket = $1', [day])).toEqual({ max: 42, count: 2 });
  const result = await archiveAll();
  expect(result).toMatchObject({ readings: 1, chunks: 1, released: ['readings_raw_2026_10'] });
  expect(await t.db.one(`
    SELECT n, step_ms,
      ARRAY(SELECT u.ts FROM pimonitor_archive_unpack(day, step_ms, offsets, vals) AS u LIMIT 3) AS first
    FROM readings_archive WHERE day = $1`, [day]))
    .toEqual({ n: 289, step_ms: 300_000, first: [0, 150_000, 300_000].map((ms) => at(day.getTime() + ms)) });
  expect(await counts()).toEqual(once(0, october.length + 1));
});

test('a reading with microseconds stays raw (the archive keeps milliseconds) and reads back exactly', async () => {
  await writeBatch(t.db, october.slice(0, 3));
  await t.db.none(`INSERT INTO readings (ts, device, sensor, metric, value)
    VALUES ('2026-10-02 00:00:01.000250+00', 'attic', 'dht22', 'temperature', 7)`);
  expect(await archiveAll()).toMatchObject({ readings: 3, released: [] });
  expect(await t.db.one('SELECT count(*)::int AS n FROM readings_raw')).toEqual({ n: 1 });
  expect(await t.db.one("SELECT to_char(ts AT TIME ZONE 'UTC', 'SS.US') AS s FROM readings WHERE value = 7"))
    .toEqual({ s: '01.000250' });
  expect(await planArchive(t.db, at(NOV))).toEqual([]);
});

test('rollups rebuilt from scratch (--rebuild) include archived readings', async () => {
  await writeBatch(t.db, october);
  await archiveAll();
  const before = await t.db.any('SELECT * FROM rollup_5m ORDER BY series_id, bucket');
  const { markAllForRollup, rollUp } = await import('../storage/rollup.js');
  expect(await markAllForRollup(t.db)).toBe(3 * 288);
  await rollUp(t.db, { allOpen: true });
  expect(await t.db.any('SELECT * FROM rollup_5m ORDER BY series_id, bucket')).toEqual(before);
});

test('retention removes archived months with the raw ones; compaction leaves months due to be archived', async () => {
  await writeBatch(t.db, [...october, { device: 'attic', ts: at(NOV + 1000), value: 1 }]);
  const now = at(Date.UTC(2027, 0, 10));
  const compacted = await compactPartitions(t.db, { olderThan: now, archiving: true });
  expect(compacted.map((r) => r.name)).toEqual(['rollup_5m_2026_10', 'rollup_5m_2026_11']);
  await archiveAll();
  const policy = { rawDays: 60, fiveMinuteDays: 0, hourDays: 0, dayDays: 0, rejectedDays: 0 };
  const plan = await planRetention(t.db, policy, now); // keeps from 2026-11-11: October goes, November stays
  expect(plan.map((i) => (i.kind === 'partition' ? i.name : `${i.table} ${i.rows}`)))
    .toEqual(['readings_raw_2026_10', 'readings_archive 3']);
  await applyRetention(t.db, plan);
  expect(await counts()).toMatchObject({ raw: 1, archived: 0, view: 1 });
});

test('pimonitor db counts archived values and their bytes apart from raw ones', async () => {
  await writeBatch(t.db, [...october, { device: 'attic', ts: at(NOV + 1000), value: 1 }]);
  await archiveAll();
  const usage = await diskUsage(t.db);
  expect(usage.tables.find((x) => x.table === 'readings_archive'))
    .toMatchObject({ rows: october.length, estimated: false });
  expect(usage.tables.find((x) => x.table === 'readings_raw')).toMatchObject({ rows: 1 });
  expect(usage.archivedValues).toBe(october.length);
});

test('the maintenance job archives a month ARCHIVE_AFTER_DAYS after it ends, within its time budget', async () => {
  await writeBatch(t.db, october);
  const policy = { rawDays: 0, fiveMinuteDays: 0, hourDays: 0, dayDays: 0, rejectedDays: 0 };
  const round = async (now: number, budgetMs?: number) => {
    const m = new Maintenance(t.db, {
      settings: { rawKeepDays: 0, rollupTimeZone: 'UTC' }, retention: policy, intervalMs: 60_000,
      compactAfterDays: 0, archiveAfterDays: 7, archiveBudgetMs: budgetMs, now: () => now,
    });
    const archived: unknown[] = [];
    const failed: unknown[] = [];
    m.on('archived', (e) => archived.push(e));
    m.on('failed', (e) => failed.push(e));
    await m.runOnce();
    expect(failed).toEqual([]);
    return archived;
  };
  expect(await round(Date.UTC(2026, 10, 7, 12))).toEqual([]); // October ended 6.5 days ago
  expect(await round(Date.UTC(2026, 10, 8, 12), 0)).toEqual([]); // due, but no time in this round
  expect(await round(Date.UTC(2026, 10, 8, 12)))
    .toEqual([expect.objectContaining({ readings: october.length, complete: true })]);
  expect(await counts()).toMatchObject({ raw: 0, archived: october.length });
});

// PGlite runs one transaction at a time: the race needs PostgreSQL.
const onPostgres = process.env.DATABASE_URL ? test : test.skip;
onPostgres('a month ingest is writing is left for the next run; no reading is stored twice (PostgreSQL)', async () => {
  await writeBatch(t.db, october);
  await t.db.tx(async (tx) => {
    const later = { device: 'attic', ts: at(OCT + 20 * DAY_MS), value: 3 };
    await writeBatch(tx as unknown as typeof t.db, [october[0]!, later]);
    expect(await archiveAll()).toMatchObject({ readings: 0, busy: 1, complete: false });
  });
  expect(await archiveAll()).toMatchObject({ readings: october.length + 1, busy: 0, complete: true });
  expect(await counts()).toEqual(once(0, october.length + 1));
});

// From the archive's hostile review: the dashboard's raw tier reads archived days too, and a month is
// moved by its UTC bounds whatever the session's time zone (PostgreSQL takes the server's).
test('/api/history of a few hours of an archived day shows the readings it showed before archiving', async () => {
  const samples = Array.from({ length: 288 }, (_, i) => ({
    device: 'attic',
    ts: at(OCT + DAY_MS + i * 300_000),
    value: i,
  }));
  await writeBatch(t.db, samples);
  const q = {
    device: 'attic',
    sensor: 'dht22',
    metric: 'temperature',
    from: at(OCT + DAY_MS),
    to: at(OCT + DAY_MS + 3 * 3_600_000),
  } as HistoryQuery;
  const before = await history(t.db, q);
  await runArchive(t.db, await planArchive(t.db, at(NOV)));
  expect((await t.db.one<{ n: number }>('SELECT count(*)::int AS n FROM readings_raw')).n).toBe(0);
  const after = await history(t.db, q);
  expect(after.tier).toBe('raw');
  expect(after.series).toEqual(before.series);
  expect(after.series[0]?.t).toHaveLength(36);
});

for (const zone of ['America/New_York', 'Europe/Berlin']) {
  test(
    `a month is moved by its UTC bounds in a session in ${zone}: the last day stays in, ` +
      "the next month's first hour out",
    async () => {
      await writeBatch(t.db, [
        { device: 'attic', ts: at(OCT + 30 * DAY_MS + 12 * 3_600_000), value: 1 },
        { device: 'attic', ts: at(OCT + 30 * DAY_MS + 23.5 * 3_600_000), value: 2 },
        { device: 'attic', ts: at(NOV + 1_800_000), value: 3 },
      ]);
      const { id } = await t.db.one<{ id: number }>("SELECT id FROM series WHERE device = 'attic'");
      const moved = await t.db.tx(async (x) => {
        await x.one('SELECT set_config($1, $2, true)', ['TimeZone', zone]);
        const archive = 'SELECT pimonitor_archive_series_month($1, $2) AS moved';
        return (await x.one<{ moved: number }>(archive, [id, at(OCT)])).moved;
      });
      expect(moved).toBe(2);
      const raw = await t.db.map('SELECT ts FROM readings_raw ORDER BY ts', [], (r: { ts: Date }) => r.ts.getTime());
      expect(raw).toEqual([NOV + 1_800_000]);
      expect((await t.db.one<{ n: number }>('SELECT count(*)::int AS n FROM readings')).n).toBe(3);
    },
  );
}

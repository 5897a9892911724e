import { createBatchStore } from '../ingest/store.js';
import { foldSeries, type ReadingRow } from '../ingest/rows.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';

// Readings by binary COPY (ingest/copy-write.ts), on real PostgreSQL only (PGlite cannot take COPY:
// the store keeps unnest() there, which every other test covers).
const onPostgres = Boolean(process.env.DATABASE_URL);
if (!onPostgres) console.log('copy-write.test.ts: skipped; set DATABASE_URL=postgres://… to run it against PostgreSQL');

let t: TestDatabase;
beforeAll(async () => {
  if (onPostgres) t = await createMigratedTestDatabase();
}, 60_000);
afterAll(async () => t?.stop());

const progress = (position: number) => ({
  worker: 'copy-test', spoolId: '00000000-0000-4000-8000-000000000000', position,
});
const rowsAt = (values: Array<[device: string, iso: string, value: number]>): ReadingRow[] =>
  values.map(([device, iso, value]) => ({ device, sensor: 'dht22', metric: 'temperature', ts: new Date(iso), value }));

(onPostgres ? test : test.skip)(
  'COPY stores each value and time exactly, merges them into the rollups as SQL would aggregate them, and a batch ' +
    'with a stored reading falls back to unnest()',
  async () => {
    const store = createBatchStore(t.db, { copy: true });
    const first = rowsAt([
      ['a', '2026-11-25T10:04:59.999Z', 21.123456789], ['b', '2026-11-25T10:05:00.000Z', -3.5e-7],
      ['a', '2026-11-25T10:05:00.001Z', 1e300],
    ]);
    await store.write({ readings: first, series: foldSeries(first), devices: [], rejected: [] }, progress(1));
    expect(
      await t.db.map(
        "SELECT device, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS') AS ts, value FROM readings " +
          "ORDER BY ts",
        [], (r: { device: string; ts: string; value: number }) => `${r.device} ${r.ts} ${r.value}`,
      ),
    ).toEqual([
      'a 2026-11-25T10:04:59.999 21.123456789', 'b 2026-11-25T10:05:00.000 -3.5e-7', 'a 2026-11-25T10:05:00.001 1e+300',
    ]);
    // Ingest merges what it wrote into the rollups (sql/018_*.sql) and leaves no marker for the job.
    const rolledUp = () => t.db.any('SELECT * FROM rollup_5m ORDER BY series_id, bucket');
    const fromRaw = () =>
      t.db.any(
        'SELECT * FROM pimonitor_aggregate_raw(ARRAY(SELECT series_id FROM readings_raw), ARRAY(SELECT ' +
          'pimonitor_bucket_5m(ts) FROM readings_raw)) ORDER BY series_id, bucket',
      );
    expect(await rolledUp()).toEqual(await fromRaw());
    expect(await t.db.any('SELECT * FROM rollup_dirty')).toEqual([]);
    // One reading again (a redelivery) beside a new one: COPY refuses the batch, unnest() stores the new one once.
    const again = rowsAt([['a', '2026-11-25T10:04:59.999Z', 21.123456789], ['a', '2026-11-25T10:06:00.000Z', 22]]);
    await store.write({ readings: again, series: foldSeries(again), devices: [], rejected: [] }, progress(2));
    expect(await t.db.one("SELECT count(*)::int AS n FROM readings WHERE device = 'a'")).toEqual({ n: 3 });
    expect(await rolledUp()).toEqual(await fromRaw());
    expect(await t.db.any('SELECT * FROM rollup_dirty')).toEqual([]);
    expect(await t.db.one("SELECT position::int FROM ingest_progress WHERE worker = 'copy-test'")).toEqual({
      position: 2,
    });
  },
  30_000,
);

(onPostgres ? test : test.skip)(
  "a COPY to a database that stops answering fails by its timeout, and its connection does not hold the pool's end " +
    "(shutdown)",
  async () => {
    const { startProxy } = await import('./helpers/proxy.js');
    const { connect, disconnect } = await import('../shared/db.js');
    const target = new URL(t.url);
    const proxy = await startProxy(target.hostname, Number(target.port || 5432));
    const db = connect(proxy.url(t.url), { queryTimeoutMs: 1000, connectTimeoutMs: 1000 });
    try {
      const store = createBatchStore(db, { copy: true, timeoutMs: 1000 });
      const warm = rowsAt([['h', '2026-11-25T11:00:00Z', 1]]);
      await store.write({ readings: warm, series: foldSeries(warm), devices: [], rejected: [] }, progress(3));
      // Big enough that the COPY is under way when the database goes silent.
      const rows = rowsAt(
        Array.from(
          { length: 200_000 },
          (_, i) => ['h', new Date(Date.UTC(2026, 10, 25, 12) + i * 1000).toISOString(), i] as [string, string, number],
        ),
      );
      const writing = store.write({ readings: rows, series: foldSeries(rows), devices: [], rejected: [] }, progress(4));
      writing.catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, Number(process.env.COPY_CUT_MS ?? 40)));
      proxy.blackhole();
      const started = Date.now();
      await expect(writing).rejects.toThrow(/timed out|timeout/);
      expect(Date.now() - started).toBeLessThan(5000);
      const ending = Date.now();
      await disconnect(db);
      expect(Date.now() - ending).toBeLessThan(2000);
    } finally {
      await proxy.stop();
    }
  },
  30_000,
);

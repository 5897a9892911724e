import fc from 'fast-check';
import { planArchive, runArchive } from '../storage/archive.js';
import { rollUp } from '../storage/rollup.js';
import {
  emptyStorage, fromScratch, useStorageDatabase, stored, TIERS, writeBatch, writeThroughView, type Sample, type Tier,
} from './helpers/storage.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

// The archive tier (sql/020_archive.sql): any history, archived at any points, with late readings and
// redeliveries of archived ones between, reads back through `readings` as written, each reading once,
// and the rollups equal aggregates of that history. On PostgreSQL writeBatch goes by COPY (a redelivery
// of an archived reading must fail it and fall back); on PGlite by INSERT … ON CONFLICT.
const TZ = 'Europe/Berlin';
const tiers = Object.keys(TIERS) as Tier[];
const t = useStorageDatabase(TZ);

const key = (s: Sample) => `${s.device}/${s.metric}/${s.ts.toISOString()}`;
// A reading's value is a function of what it is, so a redelivery carries the same value (as MQTT's does).
const valueOf = (device: string, metric: string, ms: number) =>
  ((ms / 1000 + device.length * 7 + metric.length) % 800) / 10 - 20;

/** The history as the `readings` view shows it, in (device, metric, ts) order. */
async function readBack(): Promise<{ device: string; metric: string; ts: Date; value: number }[]> {
  return t.db.any("SELECT device, metric, ts, value FROM readings WHERE sensor = 'dht22' ORDER BY device, metric, ts");
}

/** The same through pimonitor_readings_between (export's path), of [from, to). */
async function readBetween(from: Date, to: Date): Promise<Awaited<ReturnType<typeof readBack>>> {
  return t.db.any(`SELECT device, metric, ts, value FROM pimonitor_readings_between($1, $2) WHERE sensor = 'dht22'
    ORDER BY device, metric, ts`, [from, to]);
}

/** Every tier, view and (after the job) table, equal to aggregates of `history`. */
async function expectRollupsOf(history: readonly Sample[]): Promise<void> {
  await t.db.none('DROP TABLE IF EXISTS expected_history');
  await t.db.none(`CREATE TEMPORARY TABLE expected_history AS
    SELECT s.id AS series_id, h.ts, h.value
    FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[]) AS h(device, metric, ts, value)
    JOIN series s ON s.device = h.device AND s.sensor = 'dht22' AND s.metric = h.metric`,
  [history.map((s) => s.device), history.map((s) => s.metric), history.map((s) => s.ts), history.map((s) => s.value)]);
  for (const tier of tiers) {
    const expected = await fromScratch(t.db, tier, TZ, 'expected_history');
    expect({ tier, view: await stored(t.db, tier, 'view') }).toEqual({ tier, view: expected });
  }
  await rollUp(t.db, { allOpen: true });
  for (const tier of tiers) {
    const expected = await fromScratch(t.db, tier, TZ, 'expected_history');
    expect({ tier, table: await stored(t.db, tier, 'table') }).toEqual({ tier, table: expected });
  }
}

// Across three months (September to November 2026), so archiving takes some and leaves others.
const START = Date.UTC(2026, 8, 28);
const SPAN_S = 40 * 86_400;
const sample = fc.record({
  device: fc.constantFrom('attic', 'cellar'),
  metric: fc.constantFrom('temperature', 'humidity'),
  // Whole seconds mostly, some on odd milliseconds; the same instant again is likely.
  s: fc.integer({ min: 0, max: SPAN_S }),
  ms: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 999 }) }),
}).map(({ device, metric, s, ms }) => {
  const at = START + s * 1000 + ms;
  return { device, metric, ts: new Date(at), value: valueOf(device, metric, at) };
});
const MONTH_ENDS = [Date.UTC(2026, 9, 1), Date.UTC(2026, 10, 1), Date.UTC(2026, 11, 1)];
const samples = (maxLength: number) => fc.array(sample, { minLength: 1, maxLength });
const step = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('batch' as const), samples: samples(15) }) },
  // Readings delivered again: some of everything written so far (archived ones included), by ingest or the view.
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('redeliver' as const),
      pick: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
      view: fc.boolean(),
    }),
  },
  // Archived readings only, delivered again (on PostgreSQL such a batch's COPY succeeds: its check must fail it).
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('redeliverArchived' as const), count: fc.integer({ min: 1, max: 3 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('archive' as const), before: fc.constantFrom(...MONTH_ENDS) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('view' as const), samples: samples(5) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rollup' as const }) },
);

// A window of the history for pimonitor_readings_between: any start, up to two days (edges off the second).
const window = fc
  .record({ from: fc.integer({ min: -86_400, max: SPAN_S }), seconds: fc.integer({ min: 0, max: 2 * 86_400 }) })
  .map(({ from, seconds }) => ({
    from: new Date(START + from * 1000 + 500), to: new Date(START + (from + seconds) * 1000 + 500),
  }));

/** Up to `count` archived readings, as they were delivered. */
const someArchived = (count: number) => t.db.any<Sample>(`
  SELECT s.device, s.metric, u.ts, u.value
  FROM readings_archive a JOIN series s ON s.id = a.series_id
  CROSS JOIN LATERAL pimonitor_archive_unpack(a.day, a.step_ms, a.offsets, a.vals) AS u
  ORDER BY a.series_id, u.ts LIMIT $1`, [count]);

test('any history, archived at any points with late and redelivered readings between, reads back once each, '
  + 'and the rollups agree (property)', async () => {
  let archivedRuns = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), window, async (steps, { from, to }) => {
      await emptyStorage(t.db);
      const history = new Map<string, Sample>();
      const written: Sample[] = [];
      const remember = (samples: readonly Sample[]) => {
        for (const s of samples) if (!history.has(key(s))) history.set(key(s), s);
        written.push(...samples);
      };
      for (const st of steps) {
        if (st.kind === 'batch') {
          await writeBatch(t.db, st.samples);
          remember(st.samples);
        } else if (st.kind === 'view') {
          await writeThroughView(t.db, st.samples);
          remember(st.samples);
        } else if (st.kind === 'redeliver' && written.length > 0) {
          const again = st.pick.map((i) => written[i % written.length]!);
          await (st.view ? writeThroughView(t.db, again) : writeBatch(t.db, again));
        } else if (st.kind === 'redeliverArchived') {
          const again = await someArchived(st.count);
          if (again.length > 0) await writeBatch(t.db, again);
        } else if (st.kind === 'archive') {
          await runArchive(t.db, await planArchive(t.db, new Date(st.before)));
        } else if (st.kind === 'rollup') {
          await rollUp(t.db, { maxBuckets: 5, allOpen: true });
        }
      }
      const expected = [...history.values()]
        .sort((a, b) => a.device.localeCompare(b.device) || a.metric!.localeCompare(b.metric!)
          || a.ts.getTime() - b.ts.getTime())
        .map(({ device, metric, ts, value }) => ({ device, metric, ts, value }));
      expect(await readBack()).toEqual(expected);
      expect(await readBetween(from, to)).toEqual(expected.filter((r) => r.ts >= from && r.ts < to));
      await expectRollupsOf([...history.values()]);
      if ((await t.db.one<{ n: number }>('SELECT count(*)::int AS n FROM readings_archive')).n > 0) archivedRuns++;
    }),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(20), endOnFailure: true },
  );
  // The property says something only if the archive was used.
  expect(archivedRuns).toBeGreaterThan(0);
}, 600_000);

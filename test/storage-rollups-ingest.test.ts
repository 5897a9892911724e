import fc from 'fast-check';
import { rollUp } from '../storage/rollup.js';
import {
  emptyStorage, fromScratch, stored, TIERS, useStorageDatabase, writeBatch, writeThroughView, type Sample, type Tier,
} from './helpers/storage.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

// Ingest merges each batch into rollup_5m, rollup_1h and rollup_1d in its own transaction (issue 28,
// sql/018_rollups_merged_by_ingest.sql): the tables are exact after every batch, with no marker left for
// the job. On PostgreSQL a batch goes by COPY, or by unnest() when it holds a reading already stored (a
// repeat); on PGlite always by unnest(): both write paths are covered.
const TZ = 'Asia/Kathmandu'; // +05:45: its days start at 18:15 UTC, not on an hour
const tiers = Object.keys(TIERS) as Tier[];
const t = useStorageDatabase(TZ);

const dirtyCount = async () => (await t.db.one<{ n: number }>('SELECT count(*)::int AS n FROM rollup_dirty')).n;
async function expectTables(expected: 'table' | 'view'): Promise<void> {
  for (const tier of tiers) {
    const actual = await stored(t.db, tier, expected);
    expect({ tier, [expected]: actual }).toEqual({ tier, [expected]: await fromScratch(t.db, tier, TZ) });
  }
}

// Around a month boundary, over three days, so buckets of every tier and partitions of two months are
// involved; few series and instants, so repeats, late and out-of-order readings are frequent.
const START = Date.UTC(2026, 9, 30, 12);
const MONTH_END = Date.UTC(2026, 10, 1);
const sample = fc.record({
  device: fc.constantFrom('attic', 'cellar', 'shed'),
  metric: fc.constantFrom('temperature', 'humidity'),
  // Mostly within half an hour of the month's end (many readings per bucket), sometimes anywhere in 3 days.
  ts: fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 90 }).map((s) => new Date(MONTH_END - 900_000 + s * 20_000)) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 * 86_400 / 20 }).map((s) => new Date(START + s * 20_000)) },
  ),
  // Few distinct values, so ties of min and max (and their *_at rules) are frequent.
  value: fc.integer({ min: -4, max: 4 }).map((v) => v / 2),
});
const step = fc.record({
  samples: fc.array(sample, { minLength: 1, maxLength: 15 }),
  // A batch may repeat an earlier one (a redelivery), part of it, or go through the readings view.
  repeat: fc.constantFrom('no', 'no', 'all', 'some'),
  via: fc.constantFrom('ingest', 'ingest', 'ingest', 'view'),
  rollUpAfter: fc.boolean(),
});

test(
  'random batches through ingest leave rollup_5m, _1h and _1d equal to aggregates from raw, and no marker (property)',
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        await emptyStorage(t.db);
        const written: Sample[] = [];
        for (const { samples, repeat, via, rollUpAfter } of steps) {
          const again =
            repeat === 'all'
              ? written.slice(-samples.length)
              : repeat === 'some'
                ? written.filter((_, i) => i % 3 === 0)
                : [];
          const batch = [...again, ...samples];
          const before = await dirtyCount();
          if (via === 'ingest') {
            await writeBatch(t.db, batch);
            expect(await dirtyCount()).toBe(before); // ingest marks nothing
          } else {
            await writeThroughView(t.db, batch);
          }
          written.push(...samples);
          await expectTables('view');
          // With nothing marked by another writer, the tables themselves are exact.
          if ((await dirtyCount()) === 0) await expectTables('table');
          if (rollUpAfter) await rollUp(t.db, { maxBuckets: 3, allOpen: true });
        }
        await rollUp(t.db, { allOpen: true });
        expect(await dirtyCount()).toBe(0);
        await expectTables('table');
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(20), endOnFailure: true },
    );
  },
  300_000,
);

test('ingest leaves no rollup_dirty marker, for new, repeated and late readings', async () => {
  const at = (min: number) => new Date(Date.UTC(2026, 10, 3, 10, min));
  await writeBatch(t.db, [
    { device: 'a', ts: at(0), value: 1 },
    { device: 'a', ts: at(7), value: 2 },
    { device: 'b', ts: at(7), value: 3 },
  ]);
  // A redelivery and a new one.
  await writeBatch(t.db, [{ device: 'a', ts: at(0), value: 1 }, { device: 'a', ts: at(1), value: 0 }]);
  await writeBatch(t.db, [{ device: 'a', ts: new Date(Date.UTC(2026, 9, 1)), value: 5 }]); // a month late
  expect(await dirtyCount()).toBe(0);
  const bucket = await t.db.one(
    `SELECT count, min, min_at FROM rollup_5m
      WHERE bucket = $1 AND series_id = (SELECT id FROM series WHERE device = 'a')`,
    [at(0)],
  );
  expect(bucket).toEqual({ count: 2, min: 0, min_at: at(1) });
  await expectTables('table');
});

test('a reading of -0 keeps its sign in raw and in the rollups', async () => {
  await writeBatch(t.db, [{ device: 'z', ts: new Date(Date.UTC(2026, 10, 3, 10)), value: -0 }]);
  const signs = await t.db.one(
    'SELECT value::text AS raw, (SELECT first_value::text FROM rollup_5m) AS rolled FROM readings_raw',
  );
  expect(signs).toEqual({ raw: '-0', rolled: '-0' });
});

// Several ingest workers merging into the same rollup rows, another writer marking the same buckets and
// the job rewriting them, all at once: no deadlock (one lock order), and everything exact at the end.
// Only PostgreSQL runs transactions concurrently. Each writer has its own instants (worker w at +w s, the
// view at +10 s) and the series and partitions exist first: two transactions inserting the same new
// reading or series, or partitions of two months, in different orders can deadlock whatever the rollups
// do (readings_raw, series and pimonitor_create_partitions, before and after this change alike).
const onPostgres = process.env.DATABASE_URL ? test : test.skip;
onPostgres(
  'concurrent workers, the readings view and the job: no deadlock, rollups exact (PostgreSQL)',
  async () => {
    const rng = fc.sample(fc.array(sample, { minLength: 20, maxLength: 60 }), { seed: FUZZ_SEED, numRuns: 40 });
    const shifted = (xs: Sample[], s: number) => xs.map((x) => ({ ...x, ts: new Date(x.ts.getTime() + s * 1000) }));
    const byName = (a: Sample, b: Sample) => `${a.device}/${a.metric}`.localeCompare(`${b.device}/${b.metric}`);
    const worker = async (w: number) => {
      for (let i = w; i < rng.length; i += 4) {
        if (i % 7 === 3) await writeThroughView(t.db, shifted(rng[i]!, 10).sort(byName));
        else await writeBatch(t.db, shifted(rng[i]!, w).reverse());
      }
    };
    const everySeries = ['attic', 'cellar', 'shed'].flatMap((device) =>
      ['temperature', 'humidity'].map((metric) => ({ device, metric, value: 0 })),
    );
    await writeBatch(t.db, [
      ...everySeries.map((x) => ({ ...x, ts: new Date(START - 1000) })),
      ...everySeries.map((x) => ({ ...x, ts: new Date(START + 3 * 86_400_000 + 1000) })),
    ]);
    let writing = true;
    const job = (async () => {
      while (writing) {
        await rollUp(t.db, { maxBuckets: 5, allOpen: true });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      await Promise.all([0, 1, 2, 3].map(worker)).catch((e: { detail?: string }) =>
        Promise.reject(
          Object.assign(e, { message: `${String(e)}: ${e.detail} at ${(e as { where?: string }).where}` }),
        ),
      );
    } finally {
      writing = false;
      await job;
    }
    await expectTables('view');
    await rollUp(t.db, { allOpen: true });
    await expectTables('table');
  },
  120_000,
);

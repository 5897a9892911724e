import fc from 'fast-check';
import { rollUp } from '../storage/rollup.js';
import { applyStorageSettings } from '../storage/settings.js';
import {
  emptyStorage, fromScratch, stored, TIERS, useStorageDatabase, writeBatch, writeThroughView, type Sample, type Tier,
} from './helpers/storage.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

const TZ = 'Europe/Berlin';
const tiers = Object.keys(TIERS) as Tier[];
const t = useStorageDatabase(TZ);

async function expectRollupsEqualRaw(): Promise<void> {
  for (const tier of tiers) {
    const expected = await fromScratch(t.db, tier, TZ);
    expect({ tier, view: await stored(t.db, tier, 'view') }).toEqual({ tier, view: expected });
  }
  await rollUp(t.db, { maxBuckets: 7 });
  expect(await t.db.one('SELECT count(*)::int AS n FROM rollup_dirty')).toEqual({ n: 0 });
  for (const tier of tiers) {
    const expected = await fromScratch(t.db, tier, TZ);
    expect({ tier, table: await stored(t.db, tier, 'table') }).toEqual({ tier, table: expected });
  }
}

// Around the end of summer time in Berlin (a 25-hour day) and a month boundary, so buckets of every
// tier and partitions of two months are involved.
const START = Date.UTC(2026, 9, 24, 12);
const SPAN_MS = 10 * 86_400_000;
const sample = fc.record({
  device: fc.constantFrom('attic', 'cellar'),
  metric: fc.constantFrom('temperature', 'humidity'),
  // Whole seconds, and values in tenths, like a DHT22; duplicates of the same instant are likely.
  ts: fc.integer({ min: 0, max: SPAN_MS / 1000 }).map((s) => new Date(START + s * 1000)),
  value: fc.integer({ min: -200, max: 600 }).map((v) => v / 10),
});
// A run: batches in any order, with rollups between some of them; a batch may repeat an earlier one.
const run = fc.array(
  fc.record({
    samples: fc.array(sample, { minLength: 1, maxLength: 12 }),
    repeat: fc.boolean(),
    rollUpAfter: fc.boolean(),
  }),
  { minLength: 1, maxLength: 8 },
);

test(
  'late, repeated and out-of-order batches leave every rollup equal to a from-scratch aggregate (property)',
  async () => {
    await fc.assert(
      fc.asyncProperty(run, async (batches) => {
        await emptyStorage(t.db);
        const written: Sample[][] = [];
        for (const { samples, repeat, rollUpAfter } of batches) {
          await writeBatch(t.db, repeat && written.length ? written[written.length - 1]! : samples);
          written.push(samples);
          if (rollUpAfter) await rollUp(t.db, { maxBuckets: 3 });
        }
        await expectRollupsEqualRaw();
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(25), endOnFailure: true },
    );
  },
  300_000,
);

test('a node\'s week-old outbox, arriving after its buckets were rolled up, appears in all three rollups', async () => {
  const day = Date.UTC(2026, 10, 2);
  const live = Array.from({ length: 24 * 6 }, (_, i) => ({
    device: 'garage',
    ts: new Date(day + 7 * 86_400_000 + i * 600_000),
    value: 20,
  }));
  await writeBatch(t.db, live);
  // The node was offline, then it sends what it read a week ago, and a little of what it already sent.
  await writeBatch(t.db, [{ device: 'garage', ts: new Date(day + 3_600_000), value: 20 }]);
  await rollUp(t.db);
  const outbox = Array.from({ length: 12 }, (_, i) => ({
    device: 'garage',
    ts: new Date(day + 3_600_000 + i * 300_000),
    value: 30 + i,
  }));
  await writeBatch(t.db, [...outbox, ...live.slice(0, 3)]);
  const hour = await t.db.one('SELECT count, max, max_at FROM readings_1h WHERE bucket = $1', [
    new Date(day + 3_600_000),
  ]);
  expect(hour).toEqual({ count: 12, max: 41, max_at: new Date(day + 3_600_000 + 11 * 300_000) });
  await expectRollupsEqualRaw();
  const localDay = await t.db.one("SELECT count FROM readings_1d WHERE bucket = '2026-11-02 00:00 Europe/Berlin'");
  expect(localDay).toEqual({ count: 12 });
});

test('a day when clocks change has 25 hours in the daily rollup of its zone', async () => {
  const samples = Array.from({ length: 30 }, (_, i) => ({
    device: 'hall',
    ts: new Date(Date.UTC(2026, 9, 24, 21, 30) + i * 3_600_000),
    value: i,
  }));
  await writeBatch(t.db, samples);
  await rollUp(t.db);
  const days = await t.db.any(
    `SELECT to_char(bucket AT TIME ZONE 'Europe/Berlin', 'YYYY-MM-DD HH24:MI') AS day, count, last_at - first_at AS span
      FROM readings_1d ORDER BY bucket`,
  );
  // Local 2026-10-24 23:30 is the first sample; the 25th of October lasts 25 hours.
  const counts = days.map((d: { day: string; count: number }) => [d.day, d.count]);
  expect(counts).toEqual([['2026-10-24 00:00', 1], ['2026-10-25 00:00', 25], ['2026-10-26 00:00', 4]]);
});

test('changing the rollup time zone recomputes the daily rollups in the new zone', async () => {
  const samples = Array.from({ length: 48 }, (_, i) => ({
    device: 'hall',
    ts: new Date(Date.UTC(2026, 10, 10) + i * 3_600_000),
    value: i,
  }));
  await writeBatch(t.db, samples);
  await rollUp(t.db);
  const newYork = { rawKeepDays: 0, rollupTimeZone: 'America/New_York' };
  try {
    expect(await applyStorageSettings(t.db, newYork)).toEqual({ timeZoneChanged: true });
    expect(await stored(t.db, '1d', 'table')).toEqual(await fromScratch(t.db, '1d', 'America/New_York'));
    expect(await applyStorageSettings(t.db, newYork)).toEqual({ timeZoneChanged: false });
  } finally {
    await applyStorageSettings(t.db, { rawKeepDays: 0, rollupTimeZone: TZ });
  }
});

// PGlite runs one transaction at a time, so only PostgreSQL has the races these guard against: the job
// rewriting a bucket (DELETE + INSERT from raw) while ingest merges a batch into it (sql/018_*.sql).
const settled = (p: Promise<unknown>) =>
  Promise.race([p.then(() => 'done'), new Promise((resolve) => setTimeout(resolve, 500, 'waiting'))]);
const porch = (s: number) => new Date(Date.UTC(2026, 10, 20, 8, 0, s));
const onPostgres = process.env.DATABASE_URL ? test : test.skip;

onPostgres(
  'the job waits for a batch that merged into a bucket it rewrites, then includes it (PostgreSQL)',
  async () => {
    // Marked: the job rewrites this bucket.
    await writeThroughView(t.db, [{ device: 'porch', ts: porch(0), value: 1 }]);
    let rolled: Promise<number> | undefined;
    await t.db.tx(async (tx) => {
      await writeBatch(tx as unknown as typeof t.db, [{ device: 'porch', ts: porch(10), value: 9 }]);
      rolled = rollUp(t.db, { allOpen: true }); // another connection
      expect(await settled(rolled)).toBe('waiting');
    });
    expect(await rolled).toBe(1);
    expect(await t.db.one('SELECT count, max FROM rollup_5m')).toEqual({ count: 2, max: 9 });
    await expectRollupsEqualRaw();
  },
);

onPostgres('a batch waits for the job\'s rewrite of its bucket, then merges into it (PostgreSQL)', async () => {
  await writeThroughView(t.db, [
    { device: 'porch', ts: porch(0), value: 1 },
    { device: 'porch', ts: porch(3600), value: 4 },
  ]);
  let written: Promise<void> | undefined;
  await t.db.tx(async (tx) => {
    expect(await tx.one('SELECT pimonitor_rollup(100, true) AS n')).toEqual({ n: 2 });
    // Another connection.
    written = writeBatch(t.db, [
      { device: 'porch', ts: porch(10), value: 9 },
      { device: 'porch', ts: porch(20), value: -1 },
    ]);
    expect(await settled(written)).toBe('waiting');
  });
  await written;
  expect(await t.db.one('SELECT count(*)::int AS n FROM rollup_dirty')).toEqual({ n: 0 });
  for (const tier of tiers) {
    const table = await stored(t.db, tier, 'table');
    expect({ tier, table }).toEqual({ tier, table: await fromScratch(t.db, tier, TZ) });
  }
});

test(
  'a bucket still filling, marked by another writer, is left to the views until it has closed; ' +
    'the job then takes it once (issue 28)',
  async () => {
    // Two readings in the bucket of now, written through the readings view (ingest marks nothing): the
    // job leaves the bucket (rolling it up each minute cost more the fuller it got), every view is exact.
    const open = Date.now() - (Date.now() % 300_000);
    await writeThroughView(t.db, [
      { device: 'open', ts: new Date(open), value: 3 },
      { device: 'open', ts: new Date(open + 1), value: 5 },
    ]);
    await writeThroughView(t.db, [{ device: 'open', ts: new Date(Date.UTC(2026, 10, 20, 8, 0, 0)), value: 1 }]);
    expect(await rollUp(t.db)).toBe(1);
    const notDue = await t.db.one('SELECT count(*)::int AS n FROM rollup_dirty WHERE NOT pimonitor_rollup_due(bucket)');
    expect(notDue).toEqual({ n: 1 });
    for (const tier of tiers) {
      const view = await stored(t.db, tier, 'view');
      expect({ tier, view }).toEqual({ tier, view: await fromScratch(t.db, tier, TZ) });
    }
    const openBucket = await t.db.one('SELECT count, max FROM readings_5m WHERE NOT pimonitor_rollup_due(bucket)');
    expect(openBucket).toEqual({ count: 2, max: 5 });
    // `allOpen` (a test, or a rebuild that wants it all now) takes it too.
    expect(await rollUp(t.db, { allOpen: true })).toBe(1);
    await expectRollupsEqualRaw();
  },
);

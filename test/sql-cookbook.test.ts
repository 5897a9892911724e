import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../shared/paths.js';
import { wallClockToInstant } from '../shared/time-zone.js';
import { planArchive, runArchive } from '../storage/archive.js';
import { rollUp } from '../storage/rollup.js';
import { applyStorageSettings } from '../storage/settings.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { writeBatch, type Sample } from './helpers/storage.js';

/** The queries of docs/sql.md, by the test name in the comment before each. */
function cookbook(): Map<string, string> {
  const text = readFileSync(join(PACKAGE_ROOT, 'docs', 'sql.md'), 'utf8');
  const queries = new Map<string, string>();
  for (const m of text.matchAll(/<!-- test: ([a-z0-9-]+) -->\n```sql\n([\s\S]*?)```/g)) {
    // A psql \copy runs its query on the server; the test runs that query.
    const sql = m[2]!.trim().replace(/^\\copy \(([\s\S]*)\) TO .*$/, '$1').replace(/;$/, '');
    queries.set(m[1]!, sql);
  }
  return queries;
}

const TZ = 'Europe/Berlin';
/** An instant from a Berlin wall-clock time. */
const berlin = (y: number, mo: number, d: number, h = 0, mi = 0) =>
  new Date(wallClockToInstant(Date.UTC(y, mo - 1, d, h, mi), TZ));
const TEN_MIN = 600_000;

function seed(): Sample[] {
  const samples: Sample[] = [];
  const weekStart = berlin(2026, 11, 16).getTime();
  const hotFrom = berlin(2026, 11, 17, 13).getTime();
  const hotTo = berlin(2026, 11, 17, 16, 40).getTime();
  const gapFrom = berlin(2026, 11, 18, 2).getTime();
  const gapTo = berlin(2026, 11, 18, 3, 30).getTime();
  for (let ms = weekStart; ms < berlin(2026, 11, 23).getTime(); ms += TEN_MIN) {
    const ts = new Date(ms);
    samples.push({ device: 'bedroom', metric: 'temperature', ts, value: ms >= hotFrom && ms < hotTo ? 27 : 24 });
    samples.push({ device: 'bedroom', metric: 'humidity', ts, value: 45 });
    if (ms > gapFrom && ms < gapTo) continue;
    samples.push({ device: 'attic', metric: 'temperature', ts, value: 20 });
    samples.push({ device: 'attic', metric: 'humidity', ts, value: 50 });
  }
  for (let ms = berlin(2025, 11, 17).getTime(); ms < berlin(2025, 11, 24).getTime(); ms += 6 * TEN_MIN) {
    samples.push({ device: 'bedroom', metric: 'temperature', ts: new Date(ms), value: 20 });
    samples.push({ device: 'attic', metric: 'temperature', ts: new Date(ms), value: 15 });
  }
  return samples;
}

let t: TestDatabase;
beforeAll(async () => {
  t = await createMigratedTestDatabase();
  await applyStorageSettings(t.db, { rawKeepDays: 0, rollupTimeZone: TZ });
  const samples = seed();
  for (let i = 0; i < samples.length; i += 2000) await writeBatch(t.db, samples.slice(i, i + 2000));
  await rollUp(t.db);
  // The attic's temperatures of November 2026 go to the archive, the rest stays raw: the queries read
  // across both tiers (dew-point joins an archived temperature with a raw humidity).
  const attic = await t.db.one<{ id: number }>(
    "SELECT id FROM series WHERE device = 'attic' AND metric = 'temperature'");
  const plan = (await planArchive(t.db, new Date('2026-12-01T00:00:00Z')))
    .filter((m) => m.partition === 'readings_raw_2026_11')
    .map((m) => ({ ...m, seriesIds: m.seriesIds.filter((id) => id === attic.id) }));
  expect(plan.map((m) => m.seriesIds)).toEqual([[attic.id]]);
  await runArchive(t.db, plan);
  await t.db.none(`INSERT INTO rejected_messages (received_at, topic, payload, payload_bytes, code, reason) VALUES
    ('2026-11-20 10:00Z', 'home/attic/dht22', 'x', 1, 'json', 'payload is not JSON'),
    ('2026-11-20 11:00Z', 'home/attic/dht22', 'y', 1, 'json', 'payload is not JSON'),
    ('2026-11-20 12:00Z', 'home/attic/dht22', '{}', 2, 'range', 'humidity 120 is outside 0 to 100')`);
}, 120_000);
afterAll(async () => t?.stop());

/** Runs a cookbook query and returns its rows as PostgreSQL's JSON of them (times in UTC). */
async function answer(name: string): Promise<Record<string, unknown>[]> {
  const sql = cookbook().get(name);
  if (!sql) throw new Error(`docs/sql.md has no query tagged ${name}`);
  return t.db.task(async (task) => {
    await task.none("SET TIME ZONE 'UTC'");
    const { rows } = await task.one<{ rows: Record<string, unknown>[] | null }>(
      `SELECT json_agg(q) AS rows FROM (${sql}) q`,
    );
    return rows ?? [];
  });
}

const EXPECTED: Record<string, (rows: Record<string, unknown>[]) => void> = {
  latest: (rows) => expect(rows).toEqual([
    { device: 'attic', sensor: 'dht22', metric: 'humidity', value: 50, unit: '%', ts: '2026-11-22T22:50:00+00:00' },
    { device: 'attic', sensor: 'dht22', metric: 'temperature', value: 20, unit: '°C', ts: '2026-11-22T22:50:00+00:00' },
    { device: 'bedroom', sensor: 'dht22', metric: 'humidity', value: 45, unit: '%', ts: '2026-11-22T22:50:00+00:00' },
    {
      device: 'bedroom', sensor: 'dht22', metric: 'temperature', value: 24, unit: '°C', ts: '2026-11-22T22:50:00+00:00',
    },
  ]),
  'one-series': (rows) =>
    expect(rows).toEqual(Array.from({ length: 6 }, (_, i) => ({ ts: `2026-11-17T12:${i}0:00+00:00`, value: 27 }))),
  'daily-min-max': (rows) => {
    expect(rows).toHaveLength(14);
    expect(rows.find((r) => r.device === 'bedroom' && r.day === '2026-11-17')).toEqual({
      day: '2026-11-17', device: 'bedroom', lowest: 24, highest: 27, mean: 24.5, warmest_at: '13:00',
    });
    expect(rows.find((r) => r.device === 'attic' && r.day === '2026-11-18')).toEqual({
      day: '2026-11-18', device: 'attic', lowest: 20, highest: 20, mean: 20.0, warmest_at: '00:00',
    });
  },
  'hours-above': (rows) => expect(rows).toEqual([{ device: 'bedroom', above_26: '03:40:00' }]),
  gaps: (rows) =>
    expect(rows).toEqual([
      {
        device: 'attic', sensor: 'dht22', last_before: '2026-11-18T01:00:00+00:00',
        first_after: '2026-11-18T02:30:00+00:00', gap: '01:30:00',
      },
    ]),
  'dew-point': (rows) =>
    expect(rows).toEqual([
      {
        ts: '2026-11-20T11:00:00+00:00', device: 'attic', temperature: 20, humidity: 50, dew_point: 9.3,
        absolute_humidity: 8.6,
      },
    ]),
  'year-on-year': (rows) =>
    expect(rows).toEqual([
      { device: 'attic', this_week: 20.0, last_year: 15.0 }, { device: 'bedroom', this_week: 24.1, last_year: 20.0 },
    ]),
  'csv-pivot': (rows) => {
    expect(rows).toHaveLength(144);
    expect(rows[0]).toEqual({ local_time: '2026-11-20T00:00:00', temperature: 20, humidity: 50 });
  },
  rejected: (rows) => expect(rows).toEqual([
    { code: 'json', messages: 2, newest: '2026-11-20T11:00:00+00:00', example: 'payload is not JSON' },
    { code: 'range', messages: 1, newest: '2026-11-20T12:00:00+00:00', example: 'humidity 120 is outside 0 to 100' },
  ]),
  disk: (rows) => expect(rows.map((r) => r.relation).sort()).toEqual([
    'readings_raw', 'rejected_messages', 'rollup_1d', 'rollup_1h', 'rollup_5m',
  ]),
};

test('the seed has an archived series-month beside raw ones', async () => {
  const { archived, raw } = await t.db.one<{ archived: number; raw: number }>(`SELECT
    (SELECT count(DISTINCT series_id) FROM readings_archive WHERE day >= '2026-11-01')::int AS archived,
    (SELECT count(DISTINCT series_id) FROM readings_raw WHERE ts >= '2026-11-01')::int AS raw`);
  expect({ archived, raw }).toEqual({ archived: 1, raw: 3 });
});

test('every query in docs/sql.md has an expected answer here, and every expectation a query', () => {
  expect([...cookbook().keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
});

test.each(Object.keys(EXPECTED))('docs/sql.md: %s', async (name) => {
  EXPECTED[name]!(await answer(name));
});

test('every SQL statement in the README and the docs pages runs on this schema', async () => {
  const { readdirSync } = await import('node:fs');
  // docs/sql.md is checked above, each query against its expected answer.
  const pages = ['README.md', ...readdirSync(join(PACKAGE_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md') && name !== 'sql.md').map((name) => join('docs', name))];
  const text = pages.map((page) => readFileSync(join(PACKAGE_ROOT, page), 'utf8')).join('\n');
  const statements = [...text.matchAll(/```sql\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1]!.split(/;\s*$/m))
    .map((s) => s.replace(/^--.*$/gm, '').trim())
    .filter(Boolean);
  expect(statements.length).toBeGreaterThanOrEqual(4);
  for (const sql of statements) await expect(t.db.any(sql).then(() => 'ran')).resolves.toBe('ran');
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { writeBatch } from './helpers/storage.js';

const CLI_MS = 30_000;
let t: TestDatabase;
let env: Record<string, string>;
const DAY = Date.UTC(2026, 2, 10); // 10 March 2026, a day without a change of clocks
const samples = Array.from({ length: 144 }, (_, i) => [
  { device: 'attic', metric: 'temperature', ts: new Date(DAY + i * 600_000), value: 15 + (i % 12) / 2 },
  { device: 'attic', metric: 'humidity', ts: new Date(DAY + i * 600_000), value: 40 + (i % 5) },
  { device: 'cellar', metric: 'temperature', ts: new Date(DAY + i * 600_000), value: 11 },
]).flat();

beforeAll(async () => {
  t = await createMigratedTestDatabase();
  await writeBatch(t.db, samples);
  await t.db.none(
    "UPDATE devices SET status = CASE device WHEN 'attic' THEN 'online' ELSE 'offline' END, status_changed_at = $1",
    [new Date(DAY)],
  );
  env = { DATABASE_URL: t.url, TZ: 'UTC' };
}, 60_000);
afterAll(async () => t?.stop());

const run = async (...args: string[]) => runCli(args, env);

test('latest: a table with units and status, and JSON with the age', async () => {
  const table = await run('latest', '--tz', 'Europe/Berlin');
  expect(table.code).toBe(0);
  expect(table.output).toMatch(
    /^attic\s+dht22\s+humidity\s+43 %\s+2026-03-11T00:50:00\+01:00\s+\d+ d \d+ h\s+online$/m,
  );
  expect(table.output).toMatch(/^cellar\s+dht22\s+temperature\s+11 °C\s+.*offline$/m);
  const json = JSON.parse((await run('latest', '--json', '--device', 'cellar')).output);
  expect(json).toEqual([
    {
      device: 'cellar', sensor: 'dht22', metric: 'temperature', value: 11, unit: '°C',
      ts: expect.stringMatching(/^2026-03-10T23:50:00/), status: 'offline', ageSeconds: expect.any(Number),
    },
  ]);
}, CLI_MS);

test('devices: series, values stored and disk per device', async () => {
  const devices = JSON.parse((await run('devices', '--json')).output);
  expect(
    devices.map((d: { device: string; series: number; values: number; raw_values: number }) => [
      d.device, d.series, d.values, d.raw_values,
    ]),
  ).toEqual([
    ['attic', 2, 288, 288], ['cellar', 1, 144, 144],
  ]);
  expect(devices[0].bytes).toBeGreaterThan(devices[1].bytes);
  expect((await run('devices')).output).toMatch(/^attic\s+online\s+2026-03-10\s+.* ago\s+2\s+288\s+288\s+≈\d/m);
}, CLI_MS);

test('export: CSV of local days, rollups as JSON, NDJSON into a file', async () => {
  // A local (Berlin) day: 23:00 UTC the day before to 23:00 UTC.
  const csv = await run(
    'export', '--from', '2026-03-10', '--to', '2026-03-11', '--tz', 'Europe/Berlin', '--device', 'attic', '--metric',
    'temperature',
  );
  expect(csv.code).toBe(0);
  const lines = csv.output.trim().split('\r\n');
  expect(lines[0]).toBe('time,device,sensor,metric,unit,value');
  expect(lines[1]).toBe('2026-03-10T01:00:00+01:00,attic,dht22,temperature,°C,15');
  expect(lines).toHaveLength(1 + 144 - 6);

  const hours = JSON.parse(
    (
      await run(
        'export', '--from', '2026-03-10T00:00Z', '--to', '2026-03-11T00:00Z', '--every', '1h', '--format', 'json',
        '--tz', 'UTC',
      )
    ).output,
  );
  expect(hours).toHaveLength(24 * 3);
  expect(hours[0]).toEqual({
    time: '2026-03-10T00:00:00Z', device: 'attic', sensor: 'dht22', metric: 'humidity', unit: '%', count: 6,
    avg: 250 / 6, min: 40, max: 44,
  });
  expect(hours.reduce((n: number, h: { count: number }) => n + h.count, 0)).toBe(samples.length);

  const file = join(mkdtempSync(join(tmpdir(), 'pimonitor-export-')), 'out.ndjson');
  const written = await run(
    'export', '--from', '2026-03-09', '--to', '2026-03-12', '--format', 'ndjson', '--out', file, '--tz', 'UTC',
  );
  expect(written.output).toContain(`wrote ${samples.length} rows to ${file}`);
  const rows = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(rows).toHaveLength(samples.length);
  expect(rows.map((r: { time: string }) => r.time)).toEqual([...rows.map((r: { time: string }) => r.time)].sort());
}, CLI_MS);

test('export: bad arguments are named, all at once, and nothing is written', async () => {
  const bad = await run('export', '--from', 'yesterday', '--every', '2m');
  expect(bad.code).toBe(1);
  expect(bad.output).toContain('pimonitor: --from: "yesterday" is not a time');
  expect(bad.output).toContain('--every "2m" is not one of raw, 5m, 1h, 1d');
  expect(bad.output).not.toContain('time,device');
  const none = await run('export', '--from', '2026-01-01', '--to', '2026-01-02', '--device', 'nobody');
  expect(none.code).toBe(0);
  expect(none.output).toContain('no readings between 2026-01-01T00:00:00Z and 2026-01-02T00:00:00Z for nobody');
}, CLI_MS);

test('a database that cannot be reached is named, with what to do', async () => {
  const away = await runCli(['latest'], { DATABASE_URL: 'postgres://pi@127.0.0.1:1/pimonitor' });
  expect(away.code).toBe(1);
  expect(away.output.trim()).toBe(
    'pimonitor: cannot reach the database at postgres://pi@127.0.0.1:1/pimonitor (ECONNREFUSED): is PostgreSQL ' +
      'running, and is DATABASE_URL right?',
  );
  const embedded = await runCli(['devices'], { DATABASE_URL: '', PGLITE_PORT: '1' });
  expect(embedded.output).toContain(
    'cannot reach the embedded database at postgres://postgres@127.0.0.1:1/postgres (ECONNREFUSED): start it with ' +
      '`pimonitor up`',
  );
}, CLI_MS);

test(
  'db shows disk use; db rollup --rebuild recomputes; db compact rewrites past months; db archive folds them; ' +
    'retention removes what its dry run listed',
  async () => {
    const usage = JSON.parse((await run('db', '--json')).output);
    expect(usage.tables.find((x: { table: string }) => x.table === 'readings_raw')).toMatchObject({
      rows: samples.length, partitions: 1, estimated: false,
    });
    // A few hundred readings: the ratio would say thousands of bytes each, alarming for nothing.
    expect((await run('db')).output).toMatch(/^per raw value\s+- \(said from 10,000 readings on/m);

    const rebuild = await run('db', 'rollup', '--rebuild');
    expect(rebuild.output).toContain(`marked ${samples.length} buckets to recompute`);
    expect(rebuild.output).toContain(`rolled up ${samples.length} 5-minute buckets`);

    // Archiving on (the default), a raw month due for the archive is not compacted: the archive empties it.
    expect((await run('db', 'compact')).output).not.toContain('readings_raw_2026_03');
    const compact = await runCli(['db', 'compact'], { ...env, ARCHIVE_AFTER_DAYS: '0' });
    expect(compact.output).toMatch(/^readings_raw_2026_03: \d+ kB → \d+ kB$/m);
    expect((await runCli(['db', 'compact'], { ...env, ARCHIVE_AFTER_DAYS: '0' })).output).toContain(
      'nothing to compact',
    );

    const dryRun = new RegExp(
      '^would archive readings_raw_2026_03 \\(2026-03-01 to 2026-04-01\\): 3 series, \\d+ kB raw\\n' +
        'dry run: nothing moved$',
      'm',
    );
    expect((await run('db', 'archive', '--dry-run')).output).toMatch(dryRun);
    expect(await t.db.one('SELECT count(*)::int AS n FROM readings_archive')).toEqual({ n: 0 });
    expect((await run('db', 'archive')).output).toContain(
      `archived ${samples.length} readings in 3 series-months; emptied readings_raw_2026_03`,
    );
    expect((await run('db', 'archive')).output).toContain('nothing to archive');
    expect((await run('db')).output).toMatch(/^per archived\s+- \(432 values archived; said from 10,000 on\)$/m);
    expect(await t.db.one('SELECT count(*)::int AS n FROM readings')).toEqual({ n: samples.length });

    // Each tier keeps at least as long as the one it is built from (raw <= 5m <= 1h), or the config is refused.
    const keep = { ...env, RETENTION_RAW_DAYS: '90', RETENTION_5M_DAYS: '90', RETENTION_1H_DAYS: '100' };
    const dry = await runCli(['retention', '--dry-run'], keep);
    expect(dry.output).toMatch(
      /^would drop readings_raw_2026_03 \(readings_raw, 2026-03-01 to 2026-04-01\): 0 rows, \d+ kB$/m,
    );
    expect(dry.output).toMatch(
      /^would delete from readings_archive before 2026-\d\d-01T00:00:00.000Z: \d+ rows, about .*$/m,
    );
    expect(dry.output).toMatch(/^would delete from rollup_1h before .*: 72 rows, about .*$/m);
    expect(dry.output).toContain('(dry run: nothing removed)');
    expect(await t.db.one('SELECT count(*)::int AS n FROM readings')).toEqual({ n: 432 });
    const real = await runCli(['retention'], keep);
    expect(real.output).toMatch(/^dropped readings_raw_2026_03 .*: 0 rows/m);
    expect(real.output).toMatch(/^deleted from rollup_1h before .*: 72 rows/m);
    expect(await t.db.one('SELECT count(*)::int AS n FROM readings')).toEqual({ n: 0 });
    // The daily rollups stay: a year from now, March 2026 can still be compared.
    expect(await t.db.one('SELECT sum(count)::int AS n FROM readings_1d')).toEqual({ n: 432 });
    expect((await runCli(['retention', '--dry-run'], keep)).output).toContain('nothing to remove');
  },
  60_000,
);

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listMigrations, migrate } from '../shared/migrate.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t.stop());

test('applies every migration once, records it, and is safe to run again (also concurrently)', async () => {
  const [first, second, third] = await Promise.all([migrate(t.db), migrate(t.db), migrate(t.db)]);
  const versions = listMigrations().map((m) => m.version);
  // Each migration applied by exactly one of them (which one depends on who gets the lock), in order.
  const appliedOnce = [first, second, third].flatMap((r) => r.applied.map((m) => m.version));
  expect(appliedOnce.sort((a, b) => a - b)).toEqual(versions);
  for (const r of [first, second, third]) {
    expect(r.applied.map((m) => m.version)).toEqual([...r.applied.map((m) => m.version)].sort((a, b) => a - b));
  }
  expect(first.version).toBe(versions.at(-1));
  const again = await migrate(t.db);
  expect(again.applied).toEqual([]);
  const recorded = await t.db.map(
    'SELECT version FROM schema_migrations ORDER BY version', [], (r: { version: number }) => r.version,
  );
  expect(recorded).toEqual(versions);
  const tables = await t.db.map(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    [],
    (r: { table_name: string }) => r.table_name,
  );
  expect(tables.filter((name) => !/_\d{4}_\d{2}$/.test(name))).toEqual([
    'alert_events', 'alert_notifications', 'alert_progress', 'alert_state', 'broker_claims', 'compacted_partitions',
    'device_status_log', 'devices', 'ingest_progress', 'latest_readings', 'metric_units', 'mqtt_accounts', 'readings',
    'readings_1d', 'readings_1h', 'readings_5m', 'readings_archive', 'readings_raw',
    'rejected_messages', 'report_runs', 'rollup_1d', 'rollup_1h', 'rollup_5m', 'rollup_5m_live', 'rollup_dirty',
    'schema_migrations', 'series', 'storage_settings',
  ]);
});

test('a repeated reading is stored once, also when inserted through the readings view', async () => {
  await migrate(t.db);
  const insert = "INSERT INTO readings VALUES ('2026-01-01T00:00:00Z', 'a', 'b', 'temperature', 20)";
  await t.db.none(insert);
  await t.db.none(insert);
  expect(await t.db.one("SELECT count(*)::int AS n FROM readings WHERE device = 'a'")).toEqual({ n: 1 });
});

test('a gap in the numbering is refused before anything runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pimonitor-migrations-'));
  writeFileSync(join(dir, '001_a.sql'), 'SELECT 1');
  writeFileSync(join(dir, '003_c.sql'), 'SELECT 1');
  expect(() => listMigrations(dir)).toThrow('migration 003_c.sql: expected version 002');
});

test('a failing migration rolls back and is not recorded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pimonitor-migrations-'));
  writeFileSync(join(dir, '001_ok.sql'), 'CREATE TABLE migrate_probe_ok (x int)');
  writeFileSync(join(dir, '002_broken.sql'), 'CREATE TABLE migrate_probe_broken (x int); SELECT no_such_function();');
  const fresh = await createTestDatabase();
  try {
    await expect(migrate(fresh.db, () => {}, dir)).rejects.toThrow(/no_such_function/);
    const applied = await fresh.db.map(
      'SELECT version FROM schema_migrations', [], (r: { version: number }) => r.version,
    );
    expect(applied).toEqual([1]);
    expect(await fresh.db.oneOrNone("SELECT to_regclass('migrate_probe_broken') AS t")).toEqual({ t: null });
  } finally {
    await fresh.stop();
  }
});

test(
  'the database reads the one table of units (shared/units.ts); ' +
    'series stored without a unit get theirs at the next start',
  async () => {
    await migrate(t.db);
    const { METRIC_UNITS } = await import('../shared/units.js');
    const inDb = await t.db.one<{ units: Record<string, string | null> }>(
      'SELECT json_object_agg(m, pimonitor_unit_of(m)) AS units FROM unnest($1::text[]) m',
      [[...Object.keys(METRIC_UNITS), 'no_such_metric']]);
    expect(inDb.units).toEqual({ ...METRIC_UNITS, no_such_metric: null });
    expect(inDb.units).toMatchObject({
      dew_point: '°C', sea_pressure: 'hPa', apparent_power: 'VA', reactive_power: 'var', energy_today: 'kWh',
    });
    // An older version stored these without a unit (it did not know them); a table edited by hand is written again.
    await t.db.none("INSERT INTO series (device, sensor, metric, first_ts, last_ts) VALUES "
      + "('old', 'bme280', 'dew_point', now(), now()), ('old', 'energy', 'voltage_2', now(), now()), "
      + "('old', 'energy', 'power_factor', now(), now())");
    await t.db.none("UPDATE metric_units SET unit = 'K' WHERE metric = 'temperature'");
    await migrate(t.db);
    const units = await t.db.map(
      "SELECT metric, unit FROM series WHERE device = 'old' ORDER BY metric", [],
      (r: { metric: string; unit: string | null }) => `${r.metric} ${r.unit}`,
    );
    expect(units).toEqual(['dew_point °C', 'power_factor null', 'voltage_2 V']);
    expect(await t.db.one("SELECT pimonitor_unit_of('temperature') AS unit")).toEqual({ unit: '°C' });
  },
);

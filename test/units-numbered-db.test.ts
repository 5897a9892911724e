import { migrate } from '../shared/migrate.js';
import { unitOf } from '../shared/units.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

/**
 * One fact, one place: the database's pimonitor_unit_of (rows imported through INSERT INTO readings)
 * must say what shared/units.ts unitOf says, which ingest stores: numbered metrics (Tasmota's channels,
 * voltage_1) included. Before, the database gave them no unit.
 */
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await migrate(t.db);
});
afterAll(async () => t.stop());

test(
  'pimonitor_unit_of agrees with unitOf, numbered metrics too; an imported reading gets the unit ingest would give',
  async () => {
    const metrics = [
      'voltage_1', 'power_2', 'energy_today_3', 'pm2_5', 'temperature', 'voltage_1_2', 'power_factor',
      'power_factor_1', 'm1', '_1', 'x_',
    ];
    const inDb = await t.db.one<{ units: Record<string, string | null> }>(
      'SELECT json_object_agg(m, pimonitor_unit_of(m)) AS units FROM unnest($1::text[]) m', [metrics],
    );
    expect(inDb.units).toEqual(Object.fromEntries(metrics.map((m) => [m, unitOf(m)])));
    expect(inDb.units.voltage_1).toBe('V');

    await t.db.none(
      "INSERT INTO readings (ts, device, sensor, metric, value) VALUES ('2026-03-01T10:00:00Z', 'plug', 'energy', " +
        "'voltage_1', 230.5)",
    );
    expect(await t.db.one("SELECT unit FROM readings WHERE device = 'plug' AND metric = 'voltage_1'")).toEqual({
      unit: 'V',
    });
  },
);

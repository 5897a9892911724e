import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../shared/paths.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { seedHouse } from './helpers/report-data.js';
import { expandGrafanaSql } from './support/grafana-macros.js';

/**
 * docs/grafana: every panel's SQL, the device variable and the alert annotations, expanded as Grafana
 * expands them, run against the real schema with seeded data, at zoom levels that read each rollup.
 */

const dir = join(PACKAGE_ROOT, 'docs', 'grafana');
const dashboard = JSON.parse(readFileSync(join(dir, 'dashboards', 'pimonitor.json'), 'utf8'));
interface Target { rawSql: string }
interface Panel { title: string; targets: Target[] }

let t: TestDatabase;
let devices: string[];
beforeAll(async () => {
  t = await createMigratedTestDatabase();
  await seedHouse(t.db);
  await t.db.none(`INSERT INTO rejected_messages (received_at, topic, payload, payload_bytes, reason, code) VALUES
    ('2026-03-29T08:00:00Z', 'home/attic/dht22', 'x', 1, 'payload is not JSON', 'json'),
    ('2026-03-29T08:01:00Z', 'home/attic/dht22', '{}', 2, 'no metrics', 'shape')`);
  devices = await t.db.map(dashboard.templating.list[0].query, [], (r: { device: string }) => r.device);
}, 120_000);
afterAll(() => t?.stop());

const range = { from: new Date('2026-03-28T00:00:00Z'), to: new Date('2026-03-30T00:00:00Z') };

test('the device variable lists the devices', () => {
  expect(devices).toEqual(['attic', 'cellar', 'kitchen']);
});

test.each(['1m', '2h', '1d'])(
  'every panel answers with rows at a %s interval (each reads its rollup)',
  async (interval) => {
    for (const panel of dashboard.panels as Panel[]) {
      for (const target of panel.targets) {
        const sql = expandGrafanaSql(target.rawSql, { ...range, interval, variables: { device: devices } });
        const rows = await t.db.any(sql);
        expect({ panel: panel.title, rows: rows.length > 0 }).toEqual({ panel: panel.title, rows: true });
      }
    }
  },
);

test('the temperature panel is the weighted mean of the rollup the zoom needs, equal across tiers', async () => {
  const sql = (dashboard.panels as Panel[]).find((p) => p.title === 'Temperature')!.targets[0]!.rawSql;
  const day = async (interval: string) => {
    const rows = await t.db.any<{ time: number; metric: string; value: number }>(
      expandGrafanaSql(sql, {
        from: new Date('2026-03-28T23:00:00Z'), to: new Date('2026-03-29T21:59:59Z'), interval,
        variables: { device: ['kitchen'] },
      }),
    );
    const sum = rows.reduce((n, r) => n + r.value, 0);
    return { points: rows.length, mean: sum / rows.length, lines: [...new Set(rows.map((r) => r.metric))] };
  };
  const fine = await day('5m');
  const hourly = await day('1h');
  expect(fine.lines).toEqual(['kitchen/dht22']);
  expect(fine.points).toBeGreaterThan(200);
  expect(hourly.points).toBe(23);
  expect(hourly.mean).toBeCloseTo(fine.mean, 0);
});

test('alert annotations span from firing to resolution; one never resolved stays open', async () => {
  const annotation = dashboard.annotations.list.find((a: { name: string }) => a.name === 'pimonitor alerts');
  const rows = await t.db.any(
    expandGrafanaSql(annotation.target.rawSql, { ...range, interval: '1m', variables: { device: devices } }),
  );
  expect(rows).toEqual([
    {
      time: new Date('2026-03-28T15:00:00Z'), timeend: null, text: 'the day before: not in the report',
      tags: 'warning,attic-hot',
    },
    {
      time: new Date('2026-03-29T13:05:00Z'), timeend: new Date('2026-03-29T16:20:00Z'),
      text: 'attic/dht22 temperature 30.9 °C above 30 °C for 5 min', tags: 'critical,attic-hot',
    },
  ]);
});

test(
  'the import variant is the provisioned dashboard with the data source chosen at import, and the provisioned data ' +
    'source has its uid',
  () => {
    const imported = JSON.parse(readFileSync(join(dir, 'pimonitor-import.json'), 'utf8'));
    const { __inputs, __requires, ...rest } = imported;
    expect(__inputs).toEqual([
      expect.objectContaining({ name: 'DS_PIMONITOR', type: 'datasource', pluginId: 'grafana-postgresql-datasource' }),
    ]);
    expect(__requires).toBeDefined();
    expect(JSON.parse(JSON.stringify(rest).replaceAll('${DS_PIMONITOR}', 'pimonitor-pg'))).toEqual(dashboard);
    expect(JSON.stringify(dashboard)).not.toContain('${DS_');
    const provisioning = readFileSync(join(dir, 'provisioning', 'datasources', 'pimonitor.yaml'), 'utf8');
    expect(provisioning).toMatch(/uid: pimonitor-pg/);
    expect(provisioning).toMatch(/type: grafana-postgresql-datasource/);
  },
);

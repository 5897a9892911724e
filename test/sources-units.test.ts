// @engine-independent: opens no database (jest.config.js)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LIMITS } from '../shared/contract.js';
import { PACKAGE_ROOT } from '../shared/paths.js';
import { decodeMessage } from '../shared/sources/decode.js';
import { parseSources } from '../shared/sources/spec.js';
import type { Source } from '../shared/sources/source.js';
import { METRIC_UNITS, unitOf } from '../shared/units.js';
import { DOCUMENTED_PAYLOADS } from './support/firmware-payloads.js';

// Every quantity the presets make of their firmwares' documented payloads has the unit of its
// quantity, from the one table (shared/units.ts) that ingest stores with each series, the database's
// pimonitor_unit_of reads (test/migrate.test.ts) and the dashboard bundles. Pure.

const sourcesOf = (raw: unknown): Source[] => {
  const parsed = parseSources(raw, 'Europe/Berlin');
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.value;
};
const ALL = sourcesOf('tasmota,zigbee2mqtt,esphome,shelly');
const received = new Date('2026-11-25T10:00:05Z');
const metricsOf = (topic: string, payload: string, sources = ALL) => {
  const d = decodeMessage(sources, topic, Buffer.from(payload), received, DEFAULT_LIMITS);
  if (!('kind' in d) || d.kind !== 'readings') throw new Error(`${topic}: expected readings, got ${JSON.stringify(d)}`);
  return { source: d.source, metrics: d.readings.flatMap((r) => r.metrics) };
};

const documented = DOCUMENTED_PAYLOADS.map((p) => [p.firmware, p.topic, p] as const);
test.each(documented)('%s %s: every value has the unit of its quantity', (firmware, topic, p) => {
  const { source, metrics } = metricsOf(topic, p.payload);
  expect(source).toBe(firmware);
  const decoded = Object.fromEntries(metrics.map((m) => [m.metric, unitOf(m.metric)]));
  // Both ways: no quantity without its documented unit, and no documented quantity lost.
  expect(decoded).toEqual(p.units);
});

test(
  'converted quantities are in the stored unit: a dew point sent in °F, a sea-level pressure in inHg, a Shelly\'s Wh',
  () => {
    const f = DOCUMENTED_PAYLOADS.find((p) => p.payload.includes('"inHg"'))!;
    const values = Object.fromEntries(metricsOf(f.topic, f.payload).metrics.map((m) => [m.metric, m.value]));
    expect(values).toMatchObject({
      temperature: 24.5,
      dew_point: 8.5,
      pressure: expect.closeTo(1007.1, 1),
      sea_pressure: expect.closeTo(1013.5, 1),
    });
    const [fahrenheit] = sourcesOf([{ preset: 'esphome', temperatureUnit: 'F' }]);
    expect(metricsOf('garage/sensor/garage_temperature/state', '50', [fahrenheit!]).metrics)
      .toEqual([{ metric: 'temperature', value: 10 }]);
    expect(unitOf('temperature')).toBe('°C');
  },
);

test('the table is the only one: every unit used above is in it, and the dashboard has no copy', () => {
  const used = new Set(DOCUMENTED_PAYLOADS.flatMap((p) => Object.values(p.units)).filter((u) => u !== null));
  expect([...used].filter((u) => !Object.values(METRIC_UNITS).includes(u!))).toEqual([]);
  const ui = join(PACKAGE_ROOT, 'ui');
  const copies = readdirSync(ui)
    .filter((f) => f.endsWith('.ts'))
    .filter((f) => /['"](°C|hPa|kWh|ppm)['"]/.test(readFileSync(join(ui, f), 'utf8')));
  expect(copies).toEqual([]);
});

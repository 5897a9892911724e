import { loadReportData } from '../reports/data.js';
import { periodOf } from '../reports/period.js';
import { parseReports, type ReportSpec } from '../reports/spec.js';
import { summarise } from '../reports/summary.js';
import { layoutOf } from '../reports/layout.js';
import { inReportUnits } from '../reports/words.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { DAY_FROM, DAY_TO, expectedStats, GAP, REPORT_TZ, RUN_AT, seedHouse } from './helpers/report-data.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createMigratedTestDatabase();
  await seedHouse(t.db);
}, 120_000);
afterAll(() => t?.stop());

function spec(extra: Record<string, unknown> = {}): ReportSpec {
  const parsed = parseReports([
    { name: 'daily', schedule: '0 7 * * *', period: 'yesterday', directory: '/tmp', timeZone: REPORT_TZ, ...extra },
  ]);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.value[0]!;
}
const load = (s: ReportSpec, now = RUN_AT) =>
  loadReportData(t.db, s, periodOf(s.period, RUN_AT, REPORT_TZ), REPORT_TZ, now);

test('the numbers of each series equal the same computation over the raw readings', async () => {
  const data = await load(spec());
  expect([data.period.from, data.period.to]).toEqual([DAY_FROM, DAY_TO]);
  const expected = await expectedStats(t.db, DAY_FROM, DAY_TO);
  expect(data.series.map((s) => `${s.device}/${s.metric}`)).toEqual([
    'attic/temperature', 'kitchen/temperature', 'kitchen/humidity',
  ]);
  for (const e of expected) {
    const s = data.series.find((x) => x.device === e.device && x.metric === e.metric)!;
    expect({ count: s.count, min: s.min, max: s.max, minAt: s.minAt, maxAt: s.maxAt, last: s.last }).toEqual({
      count: e.count, min: e.min, max: e.max, minAt: e.min_at, maxAt: e.max_at, last: e.last,
    });
    expect(s.mean).toBeCloseTo(e.mean, 9);
  }
  // The day before, for the comparison.
  const before = await expectedStats(t.db, data.period.previousFrom, data.period.previousTo);
  const kitchen = data.series.find((s) => s.device === 'kitchen' && s.metric === 'temperature')!;
  const kitchenBefore = before.find((e) => e.device === 'kitchen' && e.metric === 'temperature')!;
  expect(kitchen.previous!.mean).toBeCloseTo(kitchenBefore.mean, 9);
});

test('gaps, coverage and silent series', async () => {
  const data = await load(spec());
  const kitchen = data.series.find((s) => s.device === 'kitchen' && s.metric === 'temperature')!;
  // The last reading before the gap is a minute before it starts; the first after it at its end.
  expect(kitchen.gaps).toEqual([{ from: new Date(GAP.from.getTime() - 60_000), to: GAP.to, ms: 48 * 60_000 }]);
  expect(kitchen.spacingMs).toBe(60_000);
  expect(kitchen.coverage).toBeCloseTo(kitchen.count / (23 * 60), 9);
  const attic = data.series.find((s) => s.device === 'attic')!;
  expect([attic.spacingMs, attic.coverage, attic.gaps]).toEqual([120_000, 1, []]);
  expect(data.silent.map((s) => s.device)).toEqual(['cellar']);
});

test('alerts of the period and offline spells', async () => {
  const data = await load(spec());
  expect(data.alerts.map((a) => [a.kind, a.severity, a.at.toISOString()])).toEqual([
    ['fired', 'critical', '2026-03-29T13:05:00.000Z'],
    ['resolved', 'critical', '2026-03-29T16:20:00.000Z'],
  ]);
  expect(data.offline).toEqual([
    { device: 'attic', from: new Date('2026-03-29T12:00:00Z'), to: new Date('2026-03-29T13:00:00Z') },
  ]);
});

test('a report of some series shows only their alerts and their devices', async () => {
  const kitchen = await load(spec({ select: 'kitchen/#' }));
  expect([kitchen.series.length, kitchen.alerts, kitchen.offline, kitchen.silent]).toEqual([2, [], [], []]);
  const atticHumidity = await load(spec({ select: ['attic/+/humidity', 'kitchen/+/humidity'] }));
  expect(atticHumidity.alerts).toEqual([]); // attic's alerts are about its temperature
});

test('time above a highlight equals the 5-minute means above it, per local day', async () => {
  const data = await load(spec({ highlight: [{ select: 'attic/+/temperature', above: 30 }] }));
  const [h] = data.highlights;
  const { buckets } = await t.db.one<{ buckets: number }>(`
    SELECT count(*)::int AS buckets FROM (
      SELECT pimonitor_bucket_5m(r.ts) AS b, avg(r.value) AS v FROM readings_raw r JOIN series s ON s.id = r.series_id
      WHERE s.device = 'attic' AND r.ts >= $1 AND r.ts < $2 GROUP BY 1) x WHERE v > 30`, [DAY_FROM, DAY_TO]);
  expect(buckets).toBeGreaterThan(0);
  expect(h!.ms).toBe(buckets * 300_000);
  expect(h!.byDay).toEqual([{ day: DAY_FROM, ms: buckets * 300_000 }]);
  const lines = summarise(inReportUnits(data, 'C'), REPORT_TZ);
  expect(lines[0]).toMatch(/^attic\/dht22 temperature was above 30\.0\u00a0°C for \d+ h( \d+ min)?\.$/);
  expect(lines).toEqual(expect.arrayContaining([
    expect.stringMatching(/^2 gaps in the readings; the longest: kitchen\/dht22 temperature, 48 min from 11:59\.$/),
    'No readings from cellar/dht22 temperature in this period.',
    '1 alert fired and 1 resolved (attic-hot).',
    'attic was offline once, 1 h in all.',
  ]));
});

test('in °F the values, thresholds and units are converted; the rollups are not', async () => {
  const c = await load(spec({ highlight: [{ select: 'attic/+/temperature', above: 30 }] }));
  const fahrenheit = spec({ temperatureUnit: 'F', highlight: [{ select: 'attic/+/temperature', above: 86 }] });
  const f = inReportUnits(await load(fahrenheit), 'F');
  const [ac, af] = [c.series[0]!, f.series[0]!];
  expect(af.unit).toBe('°F');
  expect(af.max).toBeCloseTo((ac.max * 9) / 5 + 32, 9);
  expect(f.highlights[0]!.ms).toBe(c.highlights[0]!.ms); // 86 °F is 30 °C
  expect(f.series.find((s) => s.metric === 'humidity')!.unit).toBe('%');
});

test('a report run before its period ends counts coverage and silences only up to now', async () => {
  const now = new Date('2026-03-29T12:00:00Z');
  const data = await loadReportData(t.db, spec(), { ...periodOf('yesterday', RUN_AT, REPORT_TZ) }, REPORT_TZ, now);
  expect(data.until).toEqual(now);
  const attic = data.series.find((s) => s.device === 'attic')!;
  expect(attic.gaps.some((g) => g.to > now)).toBe(false);
});

// Last in this file: it adds alert events with facts (schema 13) to the seeded day.
test('alerts are said in the report\'s units and time zone, from their facts; old rows by their message', async () => {
  await t.db.none(`INSERT INTO alert_events (at, kind, rule, device, sensor, metric, severity, value, message,
      started_at, fired_at, condition, threshold_hi, clear_hi, unit) VALUES
    ('2026-03-29T18:00:00Z', 'fired', 'attic-warm', 'attic', 'dht22', 'temperature', 'warning', 29.5,
      'stored words', '2026-03-29T17:55:00Z', '2026-03-29T18:00:00Z', 'above', 29, 28, '°C'),
    ('2026-03-29T19:00:00Z', 'resolved', 'attic-warm', 'attic', 'dht22', 'temperature', 'warning', 27.5,
      'stored words', '2026-03-29T17:55:00Z', '2026-03-29T18:00:00Z', 'above', 29, 28, '°C')`);
  const s = spec({ temperatureUnit: 'F' });
  const layout = layoutOf(inReportUnits(await load(s), 'F'), { timeZone: REPORT_TZ, temperatureUnit: 'F' });
  expect(layout.alerts.map((a) => a.message)).toEqual([
    'attic/dht22 temperature 30.9 °C above 30 °C for 5 min', // old rows: their message, as it was stored
    // an old resolution's message was its firing's words: said as a resolution
    'resolved: attic/dht22 temperature back to 29.1 °C',
    'attic/dht22 temperature 85.1 °F above 84.2 °F for 5 min',
    'attic/dht22 temperature back to 81.5 °F (below 82.4 °F) after 1 h 5 min',
  ]);
  expect(layout.alerts.map((a) => a.note)).toEqual(['', 'after 3 h 20 min', '', '']);
});

// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { sensorChartSvg } from '../reports/chart.js';
import type { SeriesStats } from '../reports/data.js';
import { loadRasteriser, pngSize } from '../reports/rasterise.js';

// Each run draws and rasterises a chart (~25 ms): a tenth of the FUZZ_RUNS the parsers get.
const FUZZ = { seed: 20261125, numRuns: Math.ceil(Number(process.env.FUZZ_RUNS ?? 600) / 10) };
const FROM = new Date('2026-03-28T23:00:00Z');
const TO = new Date('2026-03-29T22:00:00Z');

function series(metric: string, unit: string, points: SeriesStats['points']): SeriesStats {
  const at = new Date(FROM);
  return {
    id: 1, device: 'kitchen', sensor: 'dht22', metric, unit, count: points.length,
    mean: 0, min: 0, minAt: at, max: 0, maxAt: at, last: 0, lastAt: at, firstAt: at,
    previous: null, spacingMs: 60_000, coverage: 1, gaps: [], points,
  };
}
const day = (f: (i: number) => number) => Array.from(
  { length: 276 },
  (_, i) => ({ t: FROM.getTime() + i * 300_000, avg: f(i), min: f(i) - 0.2, max: f(i) + 0.3 }),
);

test('the native and the WebAssembly rasterisers draw the same chart at the same size', async () => {
  const temperature = series('temperature', '°C', day((i) => 20 + Math.sin(i / 40)));
  const humidity = series('humidity', '%', day((i) => 50 + 5 * Math.cos(i / 40)));
  const svg = sensorChartSvg([temperature, humidity], FROM, TO, 300_000, 'Europe/Berlin');
  expect(svg).toMatch(/^<svg/);
  expect(svg).toContain('DejaVu Sans');
  const native = await loadRasteriser();
  const wasm = await loadRasteriser('wasm');
  expect([native.kind, wasm.kind]).toEqual(['native', 'wasm']);
  const [a, b] = [native.png(svg, 2), wasm.png(svg, 2)];
  expect(pngSize(a)).toEqual({ width: 1200, height: 440 });
  expect(pngSize(b)).toEqual({ width: 1200, height: 440 });
  // Same renderer, same fonts: the images differ at most by compression.
  expect(Math.abs(a.length - b.length) / a.length).toBeLessThan(0.2);
}, 60_000);

test('any finite points (none, one, unsorted, huge, a gap, three units) give a chart, never an exception', async () => {
  const native = await loadRasteriser();
  const value = fc.double({ min: -1e12, max: 1e12, noNaN: true });
  const point = fc.record({
    t: fc.integer({ min: FROM.getTime() - 86_400_000, max: TO.getTime() + 86_400_000 }),
    avg: value,
    min: value,
    max: value,
  });
  const one = fc.record({
    metric: fc.constantFrom('temperature', 'humidity', 'pressure', 'co2', 'x'),
    unit: fc.constantFrom('°C', '%', 'hPa', '', 'ppm'),
    points: fc.array(point, { maxLength: 40 }),
  });
  const zones = fc.constantFrom('UTC', 'Europe/Berlin', 'Asia/Kathmandu');
  fc.assert(fc.property(fc.array(one, { minLength: 1, maxLength: 4 }), zones, (list, tz) => {
    const svg = sensorChartSvg(list.map((s) => series(s.metric, s.unit, s.points)), FROM, TO, 300_000, tz);
    expect(svg).not.toContain('chart could not be drawn'); // the fallback exists for what this test has not found
    expect(pngSize(native.png(svg, 1))).toEqual({ width: 600, height: 220 });
  }), FUZZ);
}, 120_000);

import type { Db } from '../shared/db.js';
import { selects } from '../shared/selector.js';
import { fahrenheitToCelsius } from '../shared/units.js';
import type { HighlightResult, SeriesRef } from './data.js';
import { loadHighlightBuckets, type Threshold } from './queries.js';
import type { ReportSpec } from './spec.js';

/** The highlights of a report: for each threshold of each selected series, the time beyond it, per local day. */

/** The rollup bucket the highlight query counts. */
const FIVE_MIN = 300_000;

export async function loadHighlights(
  db: Db, spec: ReportSpec, chosen: SeriesRef[], from: Date, to: Date, timeZone: string,
): Promise<HighlightResult[]> {
  const wanted: (Omit<HighlightResult, 'ms' | 'byDay'> & { stored: number })[] = [];
  for (const highlight of spec.highlight) {
    for (const series of chosen.filter((s) => selects(highlight.select, [s.device, s.sensor, s.metric]))) {
      // Thresholds are in the report's units; the rollups are in °C.
      const inF = series.metric === 'temperature' && spec.temperatureUnit === 'F';
      const toStored = (value: number) => (inF ? fahrenheitToCelsius(value) : value);
      for (const direction of ['above', 'below'] as const) {
        const threshold = highlight[direction];
        if (threshold === undefined) continue;
        wanted.push({ series, highlight, direction, threshold, stored: toStored(threshold) });
      }
    }
  }
  if (wanted.length === 0) return [];
  const thresholds: Threshold[] = wanted.map((w) => ({
    seriesId: w.series.id,
    below: w.direction === 'below' ? w.stored : null,
    above: w.direction === 'above' ? w.stored : null,
  }));
  const rows = await loadHighlightBuckets(db, thresholds, from, to, timeZone);
  return wanted.map(({ stored: _, ...result }, i) => {
    const byDay = rows.filter((r) => r.i === i + 1).map((r) => ({ day: r.day, ms: r.buckets * FIVE_MIN }));
    return { ...result, ms: byDay.reduce((total, day) => total + day.ms, 0), byDay };
  });
}

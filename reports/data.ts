import type { Db } from '../shared/db.js';
import { selects } from '../shared/selector.js';
import type { EventRow } from '../alerts/words.js';
import { coverageOf, gapsOf, offlineSpells } from './gaps.js';
import { loadHighlights } from './highlights.js';
import type { Period } from './period.js';
import * as queries from './queries.js';
import type { Highlight, ReportSpec } from './spec.js';

/**
 * What a report says, read from the rollups, alert_events and device_status_log of one period: the
 * queries (queries.ts), gaps and offline spells (gaps.ts) and highlights (highlights.ts) put together.
 * Values stay in the stored units; words.ts converts them for the reader.
 */

export interface Point { t: number; avg: number; min: number; max: number }
export interface Gap { from: Date; to: Date; ms: number }

export interface SeriesRef { id: number; device: string; sensor: string; metric: string; unit: string }

export interface SeriesStats extends SeriesRef {
  count: number;
  mean: number;
  min: number;
  minAt: Date;
  max: number;
  maxAt: Date;
  last: number;
  lastAt: Date;
  firstAt: Date;
  previous: { mean: number; min: number; max: number } | null;
  /** Typical time between readings (median), or null with too few readings to tell. */
  spacingMs: number | null;
  /** Readings received against expected from the spacing over the time the series existed; null when unknown. */
  coverage: number | null;
  gaps: Gap[];
  points: Point[];
}

export interface HighlightResult {
  series: SeriesRef;
  highlight: Highlight;
  direction: 'above' | 'below';
  /** In the report's units (°F when temperatureUnit is F). */
  threshold: number;
  ms: number;
  byDay: { day: Date; ms: number }[];
}

/** A row of alert_events with its facts (null before version 13); alerts/words.ts says it in the report's units. */
export interface AlertEvent extends EventRow {
  kind: 'fired' | 'resolved';
  inhibited: boolean;
}

export interface OfflineSpell { device: string; from: Date; to: Date | null }

export interface ReportData {
  period: Period;
  /** The end of what could be observed: the period's end, or now when that is earlier. */
  until: Date;
  series: SeriesStats[];
  /** Selected series that existed but sent nothing in the period. */
  silent: SeriesRef[];
  highlights: HighlightResult[];
  alerts: AlertEvent[];
  offline: OfflineSpell[];
  /** Which rollup the charts were drawn from. */
  chartStep: queries.ChartStep;
}

export async function loadReportData(
  db: Db, spec: ReportSpec, period: Period, tz: string, now: Date,
): Promise<ReportData> {
  const { from, to, previousFrom, previousTo } = period;
  const until = new Date(Math.min(to.getTime(), now.getTime()));
  const catalogue = await queries.loadCatalogue(db, to);
  const chosen = catalogue
    .filter((s) => spec.select.some((selector) => selects(selector, [s.device, s.sensor, s.metric])))
    .sort(bySensorThenMetric);
  const ids = chosen.map((s) => s.id);
  const devices = [...new Set(chosen.map((s) => s.device))];
  const chartStep = queries.chartStepOf(from, to);
  const [stats, previous, spacing, points, alerts, status] = await Promise.all([
    queries.loadStats(db, ids, from, to),
    queries.loadStats(db, ids, previousFrom, previousTo),
    queries.loadSpacingGaps(db, ids, from, to, spec.gapMs),
    queries.loadPoints(db, ids, from, to, chartStep),
    queries.loadAlerts(db, devices, from, to),
    queries.loadStatus(db, devices, from, to),
  ]);
  const statsOf = bySeries(stats);
  const previousOf = bySeries(previous);
  const spacingOf = bySeries(spacing);
  const pointsOf = new Map<number, Point[]>();
  for (const p of points) {
    const list = pointsOf.get(p.series_id) ?? [];
    list.push({ t: p.bucket.getTime(), avg: p.avg, min: p.min, max: p.max });
    pointsOf.set(p.series_id, list);
  }
  const series: SeriesStats[] = [];
  const silent: SeriesRef[] = [];
  for (const s of chosen) {
    const ref: SeriesRef = { id: s.id, device: s.device, sensor: s.sensor, metric: s.metric, unit: s.unit };
    const st = statsOf.get(s.id);
    if (!st) {
      silent.push(ref);
      continue;
    }
    const prev = previousOf.get(s.id);
    const sp = spacingOf.get(s.id);
    const spacingMs: number | null = sp?.spacing_ms ?? null;
    // Expected over the time the series existed in the period and could be seen (not after now).
    const observedMs = until.getTime() - Math.max(from.getTime(), s.first_ts.getTime());
    const count = Number(st.count);
    series.push({
      ...ref, count, mean: st.mean, min: st.min, minAt: st.min_at, max: st.max, maxAt: st.max_at,
      last: st.last, lastAt: st.last_at, firstAt: st.first_at,
      previous: prev ? { mean: prev.mean, min: prev.min, max: prev.max } : null,
      spacingMs,
      coverage: coverageOf(count, spacingMs, observedMs),
      gaps: gapsOf({
        gapFrom: sp?.gap_from ?? [], gapTo: sp?.gap_to ?? [], firstAt: st.first_at, lastAt: st.last_at,
        seriesStart: s.first_ts, from, until,
      }, spec.gapMs),
      points: pointsOf.get(s.id) ?? [],
    });
  }
  return {
    period, until, series, silent,
    highlights: await loadHighlights(db, spec, chosen, from, to, tz),
    alerts: alerts.filter((alert) => chosen.some((s) => concerns(alert, s))),
    offline: offlineSpells(status, from),
    chartStep,
  };
}

const bySeries = <T extends { series_id: number }>(rows: T[]) => new Map(rows.map((r) => [r.series_id, r]));

/** An alert of this series, or of the sensor or device it belongs to (sensor and metric empty). */
const concerns = (alert: AlertEvent, s: SeriesRef) => s.device === alert.device
  && (!alert.sensor || s.sensor === alert.sensor) && (!alert.metric || s.metric === alert.metric);

/** Sensors by name; inside a sensor, temperature first and humidity second (the left and right axes), then the rest. */
const METRIC_ORDER = ['temperature', 'humidity'];
function bySensorThenMetric(a: SeriesRef, b: SeriesRef): number {
  const rank = (m: string) => (METRIC_ORDER.includes(m) ? METRIC_ORDER.indexOf(m) : METRIC_ORDER.length);
  return a.device.localeCompare(b.device) || a.sensor.localeCompare(b.sensor)
    || rank(a.metric) - rank(b.metric) || a.metric.localeCompare(b.metric);
}

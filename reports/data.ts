import type { Db } from '../shared/db.js';
import { sqlFile as sqlFileIn } from '../shared/sql-file.js';
import { selects } from '../shared/selector.js';
import { fahrenheitToCelsius } from '../shared/units.js';
import type { EventRow } from '../alerts/words.js';
import type { Period } from './period.js';
import type { Highlight, ReportSpec } from './spec.js';

/** What a report says, read from the rollups, alert_events and device_status_log of one period. */

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
  chartStep: '5m' | '1h';
}

const sqlFile = (name: string) => sqlFileIn('reports', name);
const SQL = {
  stats: sqlFile('stats.sql'), spacingGaps: sqlFile('spacing-gaps.sql'), points: sqlFile('points.sql'),
  highlight: sqlFile('highlight.sql'), alerts: sqlFile('alerts.sql'), status: sqlFile('status.sql'),
};

const HOUR = 3_600_000;
const FIVE_MIN = 300_000;
/** Past this many days a chart reads hourly rollups: 720 points a month instead of 8,640. */
const CHART_5M_MAX_MS = 2 * 86_400_000;

/** The statistics tier: hourly rollups when the period is long and on whole UTC hours, else 5-minute. */
const statsView = (from: Date, to: Date) =>
  to.getTime() - from.getTime() > CHART_5M_MAX_MS && from.getTime() % HOUR === 0 && to.getTime() % HOUR === 0 ? 'readings_1h' : 'readings_5m';

export async function loadReportData(db: Db, spec: ReportSpec, period: Period, tz: string, now: Date): Promise<ReportData> {
  const { from, to, previousFrom, previousTo } = period;
  const until = new Date(Math.min(to.getTime(), now.getTime()));
  const catalogue = await db.any<SeriesRef & { first_ts: Date }>('SELECT id, device, sensor, metric, coalesce(unit, \'\') AS unit, first_ts FROM series WHERE first_ts < $1 ORDER BY device, sensor, metric', [to]);
  const chosen = catalogue.filter((s) => spec.select.some((sel) => selects(sel, [s.device, s.sensor, s.metric]))).sort(bySensorThenMetric);
  const ids = chosen.map((s) => s.id);
  const devices = [...new Set(chosen.map((s) => s.device))];
  const chartStep = to.getTime() - from.getTime() > CHART_5M_MAX_MS ? '1h' : '5m';
  const [stats, previous, spacing, points, alerts, status] = await Promise.all([
    db.any(SQL.stats, [ids, from, to, statsView(from, to)]),
    db.any(SQL.stats, [ids, previousFrom, previousTo, statsView(previousFrom, previousTo)]),
    db.any(SQL.spacingGaps, [ids, from, to, spec.gapMs]),
    db.any(SQL.points, [ids, from, to, chartStep === '1h' ? 'readings_1h' : 'readings_5m']),
    db.any(SQL.alerts, [devices, from, to]),
    db.any(SQL.status, [devices, from, to]),
  ]);
  const byId = <T extends { series_id: number }>(rows: T[]) => new Map(rows.map((r) => [r.series_id, r]));
  const statsOf = byId(stats);
  const previousOf = byId(previous);
  const spacingOf = byId(spacing);
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
    const observedFrom = Math.max(from.getTime(), s.first_ts.getTime());
    const observedMs = until.getTime() - observedFrom;
    const expected = spacingMs && spacingMs > 0 ? observedMs / spacingMs : null;
    const count = Number(st.count);
    series.push({
      ...ref, count, mean: st.mean, min: st.min, minAt: st.min_at, max: st.max, maxAt: st.max_at, last: st.last, lastAt: st.last_at, firstAt: st.first_at,
      previous: prev ? { mean: prev.mean, min: prev.min, max: prev.max } : null,
      spacingMs,
      coverage: expected ? Math.min(1, count / Math.max(1, Math.round(expected))) : null,
      gaps: gapsOf(sp?.gap_from ?? [], sp?.gap_to ?? [], st.first_at, st.last_at, s.first_ts, from, until, spec.gapMs),
      points: pointsOf.get(s.id) ?? [],
    });
  }
  return {
    period, until, series, silent,
    highlights: await loadHighlights(db, spec, chosen, from, to, tz),
    // An alert of a selected series, or of the sensor or device it belongs to (sensor and metric empty).
    alerts: alerts
      .filter((a: AlertEvent) => chosen.some((s) => s.device === a.device && (!a.sensor || s.sensor === a.sensor) && (!a.metric || s.metric === a.metric))),
    offline: offlineSpells(status, from),
    chartStep,
  };
}

/** Sensors by name; inside a sensor, temperature first and humidity second (the left and right axes), then the rest. */
const METRIC_ORDER = ['temperature', 'humidity'];
function bySensorThenMetric(a: SeriesRef, b: SeriesRef): number {
  const rank = (m: string) => (METRIC_ORDER.includes(m) ? METRIC_ORDER.indexOf(m) : METRIC_ORDER.length);
  return a.device.localeCompare(b.device) || a.sensor.localeCompare(b.sensor) || rank(a.metric) - rank(b.metric) || a.metric.localeCompare(b.metric);
}

/** Silences between readings, and at the edges: from the period's start (when the series existed) and until its end. */
function gapsOf(gapFrom: Date[], gapTo: Date[], firstAt: Date, lastAt: Date, seriesStart: Date, from: Date, until: Date, minMs: number): Gap[] {
  const gaps: Gap[] = [];
  const add = (a: Date, b: Date) => b.getTime() - a.getTime() > minMs && gaps.push({ from: a, to: b, ms: b.getTime() - a.getTime() });
  if (seriesStart < from) add(from, firstAt);
  gapFrom.forEach((a, i) => add(a, gapTo[i]!));
  // The silence still going on at the end is only one when it is longer than the gap and a reading was due.
  if (until.getTime() - lastAt.getTime() > Math.max(minMs, FIVE_MIN)) add(lastAt, until);
  return gaps;
}

function offlineSpells(rows: { device: string; at: Date; status: string }[], from: Date): OfflineSpell[] {
  const spells: OfflineSpell[] = [];
  const open = new Map<string, OfflineSpell>();
  for (const r of rows) {
    if (r.status === 'offline' && !open.has(r.device)) {
      const spell = { device: r.device, from: r.at < from ? from : r.at, to: null };
      open.set(r.device, spell);
      spells.push(spell);
    } else if (r.status === 'online' && open.has(r.device)) {
      open.get(r.device)!.to = r.at;
      open.delete(r.device);
    }
  }
  return spells;
}

async function loadHighlights(db: Db, spec: ReportSpec, chosen: SeriesRef[], from: Date, to: Date, tz: string): Promise<HighlightResult[]> {
  const wanted: (Omit<HighlightResult, 'ms' | 'byDay'> & { stored: number })[] = [];
  for (const highlight of spec.highlight) {
    for (const series of chosen.filter((s) => selects(highlight.select, [s.device, s.sensor, s.metric]))) {
      // Thresholds are in the report's units; the rollups are in °C.
      const toStored = (v: number) => (series.metric === 'temperature' && spec.temperatureUnit === 'F' ? fahrenheitToCelsius(v) : v);
      if (highlight.above !== undefined) wanted.push({ series, highlight, direction: 'above', threshold: highlight.above, stored: toStored(highlight.above) });
      if (highlight.below !== undefined) wanted.push({ series, highlight, direction: 'below', threshold: highlight.below, stored: toStored(highlight.below) });
    }
  }
  if (wanted.length === 0) return [];
  const rows = await db.any<{ i: number; day: Date; buckets: number }>(SQL.highlight, [
    wanted.map((w) => w.series.id), wanted.map((w) => (w.direction === 'below' ? w.stored : null)), wanted.map((w) => (w.direction === 'above' ? w.stored : null)), from, tz, to,
  ]);
  return wanted.map((w, i) => {
    const byDay = rows.filter((r) => r.i === i + 1).map((r) => ({ day: r.day, ms: r.buckets * FIVE_MIN }));
    const { stored: _, ...result } = w;
    return { ...result, ms: byDay.reduce((n, d) => n + d.ms, 0), byDay };
  });
}

import type { Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';
import type { AlertEvent, SeriesRef } from './data.js';

/**
 * The reports' reads, one function per file of sql/reports, and which rollup each reads: the SQL calls
 * and their rows as the database returns them, nothing assembled.
 */

const SQL = {
  catalogue: sqlFile('reports', 'catalogue.sql'),
  stats: sqlFile('reports', 'stats.sql'),
  spacingGaps: sqlFile('reports', 'spacing-gaps.sql'),
  points: sqlFile('reports', 'points.sql'),
  highlight: sqlFile('reports', 'highlight.sql'),
  alerts: sqlFile('reports', 'alerts.sql'),
  status: sqlFile('reports', 'status.sql'),
};

const HOUR = 3_600_000;
/** Past this many days a chart reads hourly rollups: 720 points a month instead of 8,640. */
const CHART_5M_MAX_MS = 2 * 86_400_000;

export type ChartStep = '5m' | '1h';

/** Which rollup the charts of [from, to) draw from. */
export const chartStepOf = (from: Date, to: Date): ChartStep =>
  (to.getTime() - from.getTime() > CHART_5M_MAX_MS ? '1h' : '5m');

const VIEW_OF: Record<ChartStep, string> = { '5m': 'readings_5m', '1h': 'readings_1h' };

/** The statistics tier: hourly rollups when the period is long and on whole UTC hours, else 5-minute. */
const statsView = (from: Date, to: Date) =>
  (chartStepOf(from, to) === '1h' && from.getTime() % HOUR === 0 && to.getTime() % HOUR === 0
    ? VIEW_OF['1h'] : VIEW_OF['5m']);

export type CatalogueRow = SeriesRef & { first_ts: Date };

export interface StatsRow {
  series_id: number;
  /** A bigint, as text. */
  count: string;
  mean: number;
  min: number;
  min_at: Date;
  max: number;
  max_at: Date;
  last: number;
  last_at: Date;
  first_at: Date;
}

export interface SpacingRow { series_id: number; spacing_ms: number | null; gap_from: Date[]; gap_to: Date[] }
export interface PointRow { series_id: number; bucket: Date; avg: number; min: number; max: number }
export interface StatusRow { device: string; at: Date; status: string }
/** `i` numbers the thresholds asked for from 1; `buckets` counts the 5-minute buckets beyond it that day. */
export interface HighlightRow { i: number; day: Date; buckets: number }

/** Every series that existed before `to`, by device, sensor and metric. */
export const loadCatalogue = (db: Db, to: Date) => db.any<CatalogueRow>(SQL.catalogue, { to });

export const loadStats = (db: Db, ids: number[], from: Date, to: Date) =>
  db.any<StatsRow>(SQL.stats, [ids, from, to, statsView(from, to)]);

/** Spacing and every silence longer than `gapMs` between two readings, per series. */
export const loadSpacingGaps = (db: Db, ids: number[], from: Date, to: Date, gapMs: number) =>
  db.any<SpacingRow>(SQL.spacingGaps, [ids, from, to, gapMs]);

export const loadPoints = (db: Db, ids: number[], from: Date, to: Date, step: ChartStep) =>
  db.any<PointRow>(SQL.points, [ids, from, to, VIEW_OF[step]]);

export const loadAlerts = (db: Db, devices: string[], from: Date, to: Date) =>
  db.any<AlertEvent>(SQL.alerts, [devices, from, to]);

export const loadStatus = (db: Db, devices: string[], from: Date, to: Date) =>
  db.any<StatusRow>(SQL.status, [devices, from, to]);

/** One threshold asked for: a series, and the stored value (in the rollups' units) it must stay below or above. */
export interface Threshold { seriesId: number; below: number | null; above: number | null }

/** Time beyond each threshold per local day of `timeZone`, counted in 5-minute buckets. */
export const loadHighlightBuckets = (db: Db, thresholds: Threshold[], from: Date, to: Date, timeZone: string) =>
  db.any<HighlightRow>(SQL.highlight, [
    thresholds.map((t) => t.seriesId), thresholds.map((t) => t.below), thresholds.map((t) => t.above),
    from, timeZone, to,
  ]);

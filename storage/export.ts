import type { Db } from '../shared/db.js';

export const EVERY = ['raw', '5m', '1h', '1d'] as const;
export type Every = (typeof EVERY)[number];

export interface ExportQuery {
  from: Date;
  to: Date;
  every: Every;
  /** Each filter, when given, keeps rows whose name is in the list. */
  devices?: string[];
  sensors?: string[];
  metrics?: string[];
}

export interface ExportRow {
  time: Date;
  device: string;
  sensor: string;
  metric: string;
  unit: string | null;
  /** Raw readings. */
  value?: number;
  /** Rollups. */
  count?: number;
  avg?: number;
  min?: number;
  max?: number;
}

const SOURCES: Record<Every, { select: string; view: string; time: string; startWindowMs: number }> = {
  // The readings view's rows, but reading only the archived days of the window (sql/020_archive.sql).
  raw: {
    select: 'ts AS time, device, sensor, metric, unit, value', view: 'pimonitor_readings_between($1, $2)', time: 'ts',
    startWindowMs: 15 * 60_000,
  },
  '5m': { select: 'bucket AS time, device, sensor, metric, unit, count, avg, min, max', view: 'readings_5m', time: 'bucket', startWindowMs: 86_400_000 },
  '1h': { select: 'bucket AS time, device, sensor, metric, unit, count, avg, min, max', view: 'readings_1h', time: 'bucket', startWindowMs: 7 * 86_400_000 },
  '1d': { select: 'bucket AS time, device, sensor, metric, unit, count, avg, min, max', view: 'readings_1d', time: 'bucket', startWindowMs: 90 * 86_400_000 },
};

/**
 * Rows per query aimed at: enough to keep round trips few, few enough that memory stays flat and small
 * (a page of rows is a few MB of objects; a Pi Zero has 512 MB for everything).
 */
const TARGET_ROWS = 5000;
const MIN_WINDOW_MS = 1000;
const MAX_WINDOW_MS = 3 * 366 * 86_400_000;

/** The next window's length from the last one's: halve when it was too full, double when sparse. Pure. */
export function nextWindowMs(windowMs: number, rows: number): number {
  if (rows > 2 * TARGET_ROWS) return Math.max(MIN_WINDOW_MS, Math.floor(windowMs / 2));
  if (rows < TARGET_ROWS / 2) return Math.min(MAX_WINDOW_MS, windowMs * 2);
  return windowMs;
}

/**
 * The database failed partway: what was written before is whole rows, but only those before `reached`
 * (`rows` of them). A reader of the output must be told it is incomplete.
 */
export class ExportInterrupted extends Error {
  constructor(readonly rows: number, readonly reached: Date, override readonly cause: unknown) {
    super(`the database failed after ${rows} rows, at ${reached.toISOString()}: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/**
 * Streams the rows of [from, to) in time order (then device, sensor, metric), one window of time per
 * query: memory stays flat however long the range, no transaction or cursor stays open (PGlite serves
 * one at a time), and each page is found by the indexes (series and time) rather than by an OFFSET.
 * A query that fails throws ExportInterrupted, saying how far it got.
 */
export async function* exportRows(db: Db, q: ExportQuery, onProgress: (fraction: number) => void = () => {}): AsyncGenerator<ExportRow[]> {
  const source = SOURCES[q.every];
  const span = q.to.getTime() - q.from.getTime();
  let windowMs = source.startWindowMs;
  let total = 0;
  for (let start = q.from.getTime(); start < q.to.getTime();) {
    const end = Math.min(start + windowMs, q.to.getTime());
    const rows = await db.any<ExportRow>(
      `SELECT ${source.select} FROM ${source.view}
       WHERE ${source.time} >= $1 AND ${source.time} < $2
         AND ($3::text[] IS NULL OR device = ANY($3)) AND ($4::text[] IS NULL OR sensor = ANY($4)) AND ($5::text[] IS NULL OR metric = ANY($5))
       ORDER BY ${source.time}, device, sensor, metric`,
      [new Date(start), new Date(end), q.devices ?? null, q.sensors ?? null, q.metrics ?? null])
      .catch((err: unknown) => {
        throw new ExportInterrupted(total, new Date(start), err);
      });
    total += rows.length;
    if (rows.length > 0) yield rows;
    onProgress(span > 0 ? (end - q.from.getTime()) / span : 1);
    windowMs = nextWindowMs(end - start, rows.length);
    start = end;
  }
}

import type { Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';

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

const exportRaw = sqlFile('storage', 'export-raw.sql');
const exportRollups = sqlFile('storage', 'export-rollups.sql');

/**
 * Where each tier's rows are read (the readings view's rows through pimonitor_readings_between for raw,
 * sql/020_archive.sql), and the first window's length.
 */
const SOURCES: Record<Every, { query: typeof exportRaw; view?: string; startWindowMs: number }> = {
  raw: { query: exportRaw, startWindowMs: 15 * 60_000 },
  '5m': { query: exportRollups, view: 'readings_5m', startWindowMs: 86_400_000 },
  '1h': { query: exportRollups, view: 'readings_1h', startWindowMs: 7 * 86_400_000 },
  '1d': { query: exportRollups, view: 'readings_1d', startWindowMs: 90 * 86_400_000 },
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
    const why = (cause as Error)?.message ?? String(cause);
    super(`the database failed after ${rows} rows, at ${reached.toISOString()}: ${why}`);
  }
}

/**
 * Streams the rows of [from, to) in time order (then device, sensor, metric), one window of time per
 * query: memory stays flat however long the range, no transaction or cursor stays open (PGlite serves
 * one at a time), and each page is found by the indexes (series and time) rather than by an OFFSET.
 * A query that fails throws ExportInterrupted, saying how far it got.
 */
export async function* exportRows(db: Db, query: ExportQuery, onProgress: (fraction: number) => void = () => {},
): AsyncGenerator<ExportRow[]> {
  const source = SOURCES[query.every];
  const filters = { devices: query.devices ?? null, sensors: query.sensors ?? null, metrics: query.metrics ?? null };
  const span = query.to.getTime() - query.from.getTime();
  let windowMs = source.startWindowMs;
  let total = 0;
  for (let start = query.from.getTime(); start < query.to.getTime();) {
    const end = Math.min(start + windowMs, query.to.getTime());
    const window = { view: source.view, from: new Date(start), to: new Date(end), ...filters };
    const rows = await db.any<ExportRow>(source.query, window).catch((err: unknown) => {
      throw new ExportInterrupted(total, new Date(start), err);
    });
    total += rows.length;
    if (rows.length > 0) yield rows;
    onProgress(span > 0 ? (end - query.from.getTime()) / span : 1);
    windowMs = nextWindowMs(end - start, rows.length);
    start = end;
  }
}

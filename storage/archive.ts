import type { Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';
import { listPartitions } from './partitions.js';

const archiveSeries = sqlFile('storage', 'archive-series.sql');
const archiveMove = sqlFile('storage', 'archive-move.sql');
const archiveRelease = sqlFile('storage', 'archive-release.sql');

/** One raw month due for the archive, and the series with readings in it to move. */
export interface ArchiveMonth {
  partition: string;
  from: Date;
  to: Date;
  seriesIds: number[];
  /** The partition's size now, with indexes. */
  bytes: number;
}

export interface ArchiveProgress {
  /** Month/series chunks done so far in this run, of `total`. */
  done: number;
  total: number;
  /** Readings moved so far in this run. */
  readings: number;
  partition: string;
}

export interface ArchiveResult {
  readings: number;
  /** Chunks moved, and those left because ingest was writing their month (tried again next run). */
  chunks: number;
  busy: number;
  /** Raw partitions emptied once all of their readings were archived. */
  released: string[];
  /** Whether every due chunk was taken (false: the time budget ran out first). */
  complete: boolean;
}

/** The instant before which months are archived (months that ended `afterDays` ago), or null when off. Pure. */
export function archiveBefore(now: Date, afterDays: number): Date | null {
  return afterDays > 0 ? new Date(now.getTime() - afterDays * 86_400_000) : null;
}

/**
 * The raw months that ended before `before` and still hold readings to archive (sql/020_archive.sql
 * archives readings on whole milliseconds; any other stays raw), oldest first.
 */
export async function planArchive(db: Db, before: Date): Promise<ArchiveMonth[]> {
  const months: ArchiveMonth[] = [];
  for (const partition of await listPartitions(db)) {
    if (partition.parent !== 'readings_raw' || partition.to > before) continue;
    const { name, from, to, bytes } = partition;
    const seriesIds = await db.map(archiveSeries, { partition: name }, (row: { id: number }) => row.id);
    if (seriesIds.length > 0) months.push({ partition: name, from, to, seriesIds, bytes });
  }
  return months;
}

export interface RunArchiveOptions {
  /** Time after which no further chunk is started (the maintenance job's share of a round). */
  budgetMs?: number;
  onProgress?: (progress: ArchiveProgress) => void;
}

/**
 * Moves the planned months into the archive, one series and month per transaction
 * (pimonitor_archive_series_month), so a late reading of that month waits for one chunk at most and
 * ingest of any other month never waits. A chunk whose month ingest is writing is skipped and left
 * for the next run. A month left without raw readings has its partition emptied (TRUNCATE: the
 * deleted rows' space back at once). Stops taking chunks once `budgetMs` is spent.
 */
export async function runArchive(db: Db, plan: readonly ArchiveMonth[], options: RunArchiveOptions = {},
): Promise<ArchiveResult> {
  const { budgetMs = Infinity, onProgress } = options;
  const started = Date.now();
  const total = plan.reduce((sum, month) => sum + month.seriesIds.length, 0);
  const result: ArchiveResult = { readings: 0, chunks: 0, busy: 0, released: [], complete: true };
  let done = 0;
  for (const month of plan) {
    let whole = true;
    for (const seriesId of month.seriesIds) {
      if (Date.now() - started >= budgetMs) return { ...result, complete: false };
      const { moved } = await db.one<{ moved: number | null }>(archiveMove, { seriesId, month: month.from });
      if (moved === null) {
        result.busy++;
        whole = false;
      } else {
        result.chunks++;
        result.readings += moved;
      }
      onProgress?.({ done: ++done, total, readings: result.readings, partition: month.partition });
    }
    if (!whole) continue;
    const release = { partition: month.partition, month: month.from };
    const { released } = await db.one<{ released: boolean }>(archiveRelease, release);
    if (released) result.released.push(month.partition);
  }
  result.complete = result.busy === 0;
  return result;
}

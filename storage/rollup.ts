import type { Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';

const rollupBacklog = sqlFile('storage', 'rollup-backlog.sql');
const rollupRun = sqlFile('storage', 'rollup-run.sql');
const rollupMarkAll = sqlFile('storage', 'rollup-mark-all.sql');

export interface RollupProgress {
  /** 5-minute buckets rolled up so far in this run. */
  done: number;
  /** Buckets that were waiting when the run began (more may arrive meanwhile). */
  total: number;
}

/**
 * Rolls up every dirty bucket that has closed, `maxBuckets` per transaction (pimonitor_rollup in
 * sql/018_rollups_merged_by_ingest.sql). Ingest merges its own batches into the rollups and marks
 * nothing; buckets are dirty when written another way (INSERT INTO readings, a rebuild). Small
 * transactions, so a batch merging into a bucket being rewritten waits little, and an interrupted run
 * loses nothing. A bucket still filling is left for a later run: rolling it up each minute cost more the
 * fuller it was (issue 28); the readings_* views are exact either way. `allOpen` takes open ones too.
 * Returns the buckets done; 0 if another process was rolling up (it will finish the work).
 */
export async function rollUp(db: Db, { maxBuckets = 5000, allOpen = false, onProgress }: {
  maxBuckets?: number; allOpen?: boolean; onProgress?: (progress: RollupProgress) => void;
} = {}): Promise<number> {
  const { total } = await db.one<{ total: number }>(rollupBacklog, { allOpen });
  let done = 0;
  for (;;) {
    const { n } = await db.one<{ n: number | null }>(rollupRun, { maxBuckets, allOpen });
    if (!n) return done;
    done += n;
    onProgress?.({ done, total: Math.max(total, done) });
  }
}

/** Marks every bucket with raw readings for rollup (a rebuild); returns how many. */
export async function markAllForRollup(db: Db): Promise<number> {
  const { n } = await db.one<{ n: string }>(rollupMarkAll);
  return Number(n);
}

import type { Db } from '../shared/db.js';

export interface RollupProgress {
  /** 5-minute buckets rolled up so far in this run. */
  done: number;
  /** Buckets that were waiting when the run began (more may arrive meanwhile). */
  total: number;
}

/**
 * Rolls up every dirty bucket, `maxBuckets` per transaction (pimonitor_rollup in sql/005_rollups.sql), so ingest is
 * never held up for long and an interrupted run loses nothing. Returns the buckets done; 0 if another
 * process was rolling up (it will finish the work).
 */
export async function rollUp(db: Db, { maxBuckets = 5000, onProgress }: { maxBuckets?: number; onProgress?: (p: RollupProgress) => void } = {}): Promise<number> {
  const { total } = await db.one<{ total: number }>('SELECT count(*)::int AS total FROM rollup_dirty');
  let done = 0;
  for (;;) {
    const { n } = await db.one<{ n: number | null }>('SELECT pimonitor_rollup($1) AS n', [maxBuckets]);
    if (!n) return done;
    done += n;
    onProgress?.({ done, total: Math.max(total, done) });
  }
}

/** Marks every bucket with raw readings for rollup (a rebuild); returns how many. */
export async function markAllForRollup(db: Db): Promise<number> {
  const { n } = await db.one<{ n: string }>('SELECT pimonitor_rollup_mark_all() AS n');
  return Number(n);
}

import type { Db } from '../shared/db.js';
import { safeText } from '../shared/text.js';

/**
 * report_runs: one row per scheduled run of a report, written before it is made, marked when delivered.
 * A restart finds the newest run (so it neither repeats nor skips one) and the runs still to retry.
 * An attempt takes a lease (next_attempt_at moves ahead before the work), so two schedulers on one
 * database do not both send a run; a crash after sending and before marking sends it again once.
 */

export interface RunRow {
  report: string;
  scheduled_for: Date;
  attempts: number;
}

export async function lastScheduled(db: Db, report: string): Promise<Date | null> {
  const row = await db.one<{ last: Date | null }>('SELECT max(scheduled_for) AS last FROM report_runs WHERE report = $1', [report]);
  return row.last;
}

/** Records a run as due now; a run recorded already (by another scheduler) is left as it is. */
export async function recordRun(db: Db, report: string, scheduledFor: Date, period: { from: Date; to: Date }, now: Date): Promise<void> {
  await db.none(`INSERT INTO report_runs (report, scheduled_for, period_from, period_to, next_attempt_at)
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (report, scheduled_for) DO NOTHING`, [report, scheduledFor, period.from, period.to, now]);
}

/** Takes the lease of every undelivered run of `report` that is due at `now`, oldest first. */
export async function claimDueRuns(db: Db, report: string, now: Date, leaseMs: number): Promise<RunRow[]> {
  return db.any<RunRow>(`UPDATE report_runs SET attempts = attempts + 1, next_attempt_at = $2::timestamptz + $3 * interval '1 millisecond'
    WHERE report = $1 AND delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= $2
    RETURNING report, scheduled_for, attempts`, [report, now, leaseMs]).then((rows) => rows.sort((a, b) => a.scheduled_for.getTime() - b.scheduled_for.getTime()));
}

export async function markDelivered(db: Db, run: RunRow, now: Date): Promise<void> {
  await db.none('UPDATE report_runs SET delivered_at = $3, last_error = NULL WHERE report = $1 AND scheduled_for = $2', [run.report, run.scheduled_for, now]);
}

/** A failed attempt: retried at `retryAt`, or given up (null). */
export async function markFailed(db: Db, run: RunRow, error: string, retryAt: Date | null, now: Date): Promise<void> {
  await db.none(`UPDATE report_runs SET last_error = $3, next_attempt_at = coalesce($4, next_attempt_at), gave_up_at = CASE WHEN $4::timestamptz IS NULL THEN $5::timestamptz END
    WHERE report = $1 AND scheduled_for = $2`, [run.report, run.scheduled_for, safeText(error, 1000), retryAt, now]);
}

/** The earliest retry waiting, for the scheduler's next wake-up. */
export async function nextRetryAt(db: Db, reports: readonly string[]): Promise<Date | null> {
  const row = await db.one<{ at: Date | null }>('SELECT min(next_attempt_at) AS at FROM report_runs WHERE report = ANY($1) AND delivered_at IS NULL AND gave_up_at IS NULL', [reports]);
  return row.at;
}

export interface RunHistory { report: string; scheduled_for: Date; period_from: Date; period_to: Date; attempts: number; delivered_at: Date | null; gave_up_at: Date | null; last_error: string | null }

export async function recentRuns(db: Db, limit: number): Promise<RunHistory[]> {
  return db.any<RunHistory>('SELECT report, scheduled_for, period_from, period_to, attempts, delivered_at, gave_up_at, last_error FROM report_runs ORDER BY scheduled_for DESC LIMIT $1', [limit]);
}

import type { Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';
import { safeText } from '../shared/text.js';

/**
 * report_runs: one row per scheduled run of a report, written before it is made, marked when delivered.
 * A restart finds the newest run (so it neither repeats nor skips one) and the runs still to retry.
 * An attempt takes a lease (next_attempt_at moves ahead before the work), so two schedulers on one
 * database do not both send a run; a crash after sending and before marking sends it again once.
 */

const SQL = {
  last: sqlFile('reports', 'run-last.sql'),
  record: sqlFile('reports', 'run-record.sql'),
  claim: sqlFile('reports', 'run-claim.sql'),
  delivered: sqlFile('reports', 'run-delivered.sql'),
  failed: sqlFile('reports', 'run-failed.sql'),
  nextRetry: sqlFile('reports', 'run-next-retry.sql'),
  recent: sqlFile('reports', 'runs-recent.sql'),
};

export interface RunRow {
  report: string;
  scheduled_for: Date;
  attempts: number;
}

export async function lastScheduled(db: Db, report: string): Promise<Date | null> {
  const row = await db.one<{ last: Date | null }>(SQL.last, { report });
  return row.last;
}

/** Records a run as due now; a run recorded already (by another scheduler) is left as it is. */
export async function recordRun(
  db: Db, report: string, scheduledFor: Date, period: { from: Date; to: Date }, now: Date,
): Promise<void> {
  await db.none(SQL.record, { report, scheduledFor, from: period.from, to: period.to, now });
}

/** Takes the lease of every undelivered run of `report` that is due at `now`, oldest first. */
export async function claimDueRuns(db: Db, report: string, now: Date, leaseMs: number): Promise<RunRow[]> {
  const rows = await db.any<RunRow>(SQL.claim, { report, now, leaseMs });
  return rows.sort((a, b) => a.scheduled_for.getTime() - b.scheduled_for.getTime());
}

export async function markDelivered(db: Db, run: RunRow, now: Date): Promise<void> {
  await db.none(SQL.delivered, { report: run.report, scheduledFor: run.scheduled_for, now });
}

/** A failed attempt: retried at `retryAt`, or given up (null). */
export async function markFailed(db: Db, run: RunRow, error: string, retryAt: Date | null, now: Date): Promise<void> {
  await db.none(SQL.failed, {
    report: run.report, scheduledFor: run.scheduled_for, error: safeText(error, 1000), retryAt, now,
  });
}

/** The earliest retry waiting, for the scheduler's next wake-up. */
export async function nextRetryAt(db: Db, reports: readonly string[]): Promise<Date | null> {
  const row = await db.one<{ at: Date | null }>(SQL.nextRetry, { reports });
  return row.at;
}

export interface RunHistory {
  report: string;
  scheduled_for: Date;
  period_from: Date;
  period_to: Date;
  attempts: number;
  delivered_at: Date | null;
  gave_up_at: Date | null;
  last_error: string | null;
}

export async function recentRuns(db: Db, limit: number): Promise<RunHistory[]> {
  return db.any<RunHistory>(SQL.recent, { limit });
}

import type { Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';
import type { Severity } from './rules.js';
import type { NullableFacts } from './state-store.js';

/**
 * The notifier's side of the outbox (alert_notifications): it claims what is due, then marks each
 * notification sent, failed (to retry, or given up), or withdrawn. alerts/outbox.ts puts them there.
 */

const sql = {
  claimDue: sqlFile('alerts', 'claim-due.sql'),
  markSent: sqlFile('alerts', 'mark-sent.sql'),
  markFailed: sqlFile('alerts', 'mark-failed.sql'),
  withdrawSuperseded: sqlFile('alerts', 'withdraw-superseded.sql'),
};

/** A notification due now, with its event. */
export interface DueNotification {
  id: string;
  route: string;
  attempts: number;
  /** reason: why it resolved other than by its condition ('rule removed'); null (or absent) otherwise. */
  event: {
    kind: 'fired' | 'resolved'; at: Date; rule: string; device: string; sensor: string; metric: string;
    severity: Severity; value: number | null; message: string; labels: Record<string, string>; started_at: Date;
    fired_at: Date | null; reason?: string | null;
    /** A resolution that is the only notification of an episode a backlog fired and ended (absent: false). */
    past_episode?: boolean;
  } & Partial<NullableFacts>;
}

/** How long a claimed notification is leased to this sender before another may take it. */
const LEASE_MS = 60_000;

/** Takes up to `limit` due notifications, leasing them so a second worker does not send them too. */
export async function claimDue(db: Db, at: number, limit = 50): Promise<DueNotification[]> {
  const rows = await db.any<DueNotification>(sql.claimDue,
    { at: new Date(at), limit, leasedUntil: new Date(at + LEASE_MS) });
  return rows.map((row) => ({
    ...row,
    event: {
      ...row.event, at: new Date(row.event.at), started_at: new Date(row.event.started_at),
      fired_at: row.event.fired_at ? new Date(row.event.fired_at) : null,
    },
  }));
}

export async function markSent(db: Db, ids: readonly string[], at: number): Promise<void> {
  await db.none(sql.markSent, { ids, at: new Date(at) });
}

/**
 * Of these claimed resolutions to an MQTT route, those whose alert fired again since (a later firing
 * event of the same rule and series) with that firing published to the same route: the retained
 * message is the later firing's, and an empty one would clear an alert that fires (a rule removed
 * and added back while the old resolution waited for quiet hours, now critical). Given up as
 * superseded, not sent; returns their ids. The later episode's own resolution clears it in turn.
 */
export async function withdrawSupersededClears(db: Db, ids: readonly string[], at: number): Promise<string[]> {
  if (ids.length === 0) return [];
  return db.map(sql.withdrawSuperseded, { ids, at: new Date(at) }, (row: { id: string | number }) => String(row.id));
}

/** Retries later, or gives up after `maxAttempts` (the failure stays in last_error). */
export async function markFailed(db: Db, ids: readonly string[], error: string, retryAt: number,
  maxAttempts: number): Promise<void> {
  await db.none(sql.markFailed, { ids, error: error.slice(0, 500), retryAt: new Date(retryAt), maxAttempts });
}

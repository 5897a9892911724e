import type { Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';
import { ownerOf } from './orphans.js';
import { queueNotification } from './outbox.js';
import { planNotification, type Route } from './routes.js';
import type { Rule, Severity } from './rules.js';
import { keyOf } from './state-store.js';

/**
 * Repeat notifications: an alert still firing is notified again through a route once its last
 * notification there is older than the route's repeatInterval (issue 24, item 3 for whose alerts).
 */

const repeatCandidates = sqlFile('alerts', 'repeat-candidates.sql');

/** An alert still firing, per route its firing went to, as repeat-candidates.sql reads it. */
export interface RepeatCandidate {
  event_id: string;
  route: string;
  severity: Severity;
  /** When a notification of it last went out through the route (nothing of it waits there). */
  last_sent: Date;
  rule: string;
  device: string;
  sensor: string;
  metric: string;
  device_status: string | null;
}

/**
 * When a candidate's repeat falls due (quiet hours and group wait apply as to the first), or null: it
 * does not repeat now. Only alerts a rule of `rules` still owns repeat: a state left by a removed rule
 * is resolved at start, and a worker with another configuration must not repeat it meanwhile. An alert
 * whose device is offline is inhibited and does not repeat (its offline alert does). Pure.
 */
export function repeatDue(candidate: RepeatCandidate, rules: readonly Rule[], routes: readonly Route[],
  at: number): number | null {
  const rule = ownerOf(rules, keyOf(candidate));
  // While its device is offline an alert is inhibited: its offline alert repeats, it does not.
  if (!rule || (candidate.device_status === 'offline' && rule.type !== 'offline')) return null;
  const route = routes.find((r) => r.name === candidate.route && r.repeatIntervalMs > 0);
  if (!route || at - candidate.last_sent.getTime() < route.repeatIntervalMs) return null;
  return planNotification(route, { type: 'fired', severity: candidate.severity }, at);
}

/** Queues the repeats due at `at` (repeatDue says which); returns how many. */
export async function queueRepeats(db: Db, rules: readonly Rule[], routes: readonly Route[],
  at: number): Promise<number> {
  if (!routes.some((route) => route.repeatIntervalMs > 0)) return 0;
  const candidates = await db.any<RepeatCandidate>(repeatCandidates);
  let queued = 0;
  for (const candidate of candidates) {
    const due = repeatDue(candidate, rules, routes, at);
    if (due === null) continue;
    await queueNotification(db, candidate.event_id, candidate.route, due);
    queued++;
  }
  return queued;
}

import type { ITask } from 'pg-promise';
import type { AlertKey } from './engine.js';
import { decideResolution, deliveryOf, isPastEpisode, takesPastEpisodes, type NotificationRecord } from './owed.js';
import { dueThrough, planNotification, type Route } from './routes.js';
import type { Rule, Severity } from './rules.js';
import { sentenceOf, STORED_UNITS, type EventRow } from './words.js';

/**
 * What an alert's firing and resolution put in the outbox (alert_notifications), inside the
 * transaction that stores them (issue 24, item 2). One contract per route: a resolution goes exactly
 * where a firing went (alerts/owed.ts decides, from the record); a firing held back by inhibition is
 * notified when its device is back online, if the alert still fires.
 */

type Task = ITask<object>;

/** The routes a rule's notifications go to (all of them, unless the rule names some). */
export const routesOf = (rule: Rule | undefined, routes: readonly Route[]) => routes.filter((r) => !rule?.routes || rule.routes.includes(r.name));

const whereOf = (key: AlertKey) => [key.rule, key.device, key.sensor ?? '', key.metric ?? ''];

/** The firing event of this alert that fired at `firedAt`, or null (a state older than its events). */
async function firingOf(t: Task, key: AlertKey, firedAt: number) {
  return t.oneOrNone<{ id: string; severity: Severity; inhibited: boolean; catching_up: boolean }>(`SELECT id, severity, inhibited, catching_up FROM alert_events
    WHERE rule = $1 AND device = $2 AND sensor = $3 AND metric = $4 AND kind = 'fired' AND at = $5 ORDER BY id DESC LIMIT 1`, [...whereOf(key), new Date(firedAt)]);
}

/** Queues one notification of event `eventId` to `route`, due at `due` (in a transaction, or not). */
export const queueNotification = (t: { none(query: string, values: unknown[]): Promise<null> }, eventId: string, route: string, due: number) =>
  t.none('INSERT INTO alert_notifications (event_id, route, due_at) VALUES ($1, $2, $3)', [eventId, route, new Date(due)]);

/** Queues a firing's notifications to the routes that take it; returns how many. */
export async function queueFiring(t: Task, eventId: string, severity: Severity, rule: Rule | undefined, routes: readonly Route[], at: number): Promise<number> {
  let queued = 0;
  for (const route of routesOf(rule, routes)) {
    const due = planNotification(route, { type: 'fired', severity }, at);
    if (due === null) continue;
    await queueNotification(t, eventId, route.name, due);
    queued++;
  }
  return queued;
}

/** The notifications of a firing event, as alerts/owed.ts reads them per route. */
export function firingRecordsOf(t: Task, firedId: string) {
  return t.any<NotificationRecord & { route: string; due_at: Date }>('SELECT route, due_at, sent_at, attempts, last_error, gave_up_at FROM alert_notifications WHERE event_id = $1', [firedId]);
}

/**
 * Queues the resolution `resolvedId` of a firing whose notifications are `records` to each route owed
 * one (alerts/owed.ts decideResolution, the route read as `readAs` says); `withdraw` is told of each
 * route whose held firings the resolution replaces. Returns the routes it queued to.
 */
export async function queueOwedResolutions(t: Task, records: Awaited<ReturnType<typeof firingRecordsOf>>, resolvedId: string, severity: Severity, routes: readonly Route[], at: number,
  { readAs = (route: Route): Pick<Route, 'sendResolved' | 'type'> => route, withdraw = async (_route: Route): Promise<unknown> => undefined } = {}): Promise<string[]> {
  const to: string[] = [];
  for (const route of routes) {
    const decision = decideResolution(readAs(route), records.filter((r) => r.route === route.name).map((r) => ({ delivery: deliveryOf(r), dueAt: r.due_at.getTime() })));
    if (decision.withdraw) await withdraw(route);
    if (!decision.resolve) continue;
    await queueNotification(t, resolvedId, route.name, Math.max(dueThrough(route, severity, at), decision.notBefore ?? 0));
    to.push(route.name);
  }
  return to;
}

/**
 * The resolution `resolvedId` of the alert that fired at `firedAt`: one notification to each route
 * owed one, and held firings withdrawn (a repeat, or a firing the resolution replaces); or, for an
 * episode a backlog fired and ended, that episode (alerts/owed.ts isPastEpisode). Returns how many
 * notifications it queued. Routes no longer configured are not sent to.
 */
export async function queueResolution(t: Task, key: AlertKey, firedAt: number, resolvedId: string, rule: Rule | undefined, routes: readonly Route[], at: number): Promise<number> {
  const fired = await firingOf(t, key, firedAt);
  if (!fired) return 0;
  const rows = await firingRecordsOf(t, fired.id);
  if (isPastEpisode({ catchingUp: fired.catching_up, inhibited: fired.inhibited }, rows.length)) {
    // Marked, and its stored words (°C, UTC) those of an episode, not of a resolution.
    const row = await t.one<EventRow>('UPDATE alert_events SET past_episode = true WHERE id = $1 RETURNING *', [resolvedId]);
    await t.none('UPDATE alert_events SET message = $2 WHERE id = $1', [resolvedId, sentenceOf(row, STORED_UNITS)]);
    return queueFiring(t, resolvedId, fired.severity, rule, routes.filter(takesPastEpisodes), at);
  }
  const withdraw = (route: Route) => t.none(`UPDATE alert_notifications SET gave_up_at = $3, last_error = 'resolved before it was sent'
    WHERE event_id = $1 AND route = $2 AND sent_at IS NULL AND gave_up_at IS NULL`, [fired.id, route.name, new Date(at)]);
  return (await queueOwedResolutions(t, rows, resolvedId, fired.severity, routes, at, { withdraw })).length;
}

/**
 * An alert still firing whose device is online and whose series has caught up: if its firing was held
 * back (inhibited, or made by a backlog) and nothing of it was queued, its firing is notified now,
 * dated when it began. Returns how many notifications it queued (0 when it was not held back, so any
 * number of releases notify it once).
 */
export async function releaseHeld(t: Task, key: AlertKey, firedAt: number, rule: Rule | undefined, routes: readonly Route[], at: number): Promise<number> {
  const fired = await firingOf(t, key, firedAt);
  if (!fired?.inhibited && !fired?.catching_up) return 0;
  const { n } = await t.one<{ n: number }>('SELECT count(*)::int AS n FROM alert_notifications WHERE event_id = $1', [fired.id]);
  return n > 0 ? 0 : queueFiring(t, fired.id, fired.severity, rule, routes, at);
}

import type { IBaseProtocol, ITask } from 'pg-promise';
import { sqlFile } from '../shared/sql-file.js';
import type { AlertKey } from './engine.js';
import { decideResolution, deliveryOf, isPastEpisode, takesPastEpisodes, type NotificationRecord } from './owed.js';
import { dueThrough, planNotification, type Route } from './routes.js';
import type { Rule, Severity } from './rules.js';
import { firingEventOf, markPastEpisode, setEventMessage } from './state-store.js';
import { sentenceOf, STORED_UNITS } from './words.js';

/**
 * What an alert's firing and resolution put in the outbox (alert_notifications), inside the
 * transaction that stores them (issue 24, item 2). One contract per route: a resolution goes exactly
 * where a firing went (alerts/owed.ts decides, from the record); a firing held back by inhibition is
 * notified when its device is back online, if the alert still fires.
 */

type Task = ITask<object>;

const sql = {
  queueNotification: sqlFile('alerts', 'queue-notification.sql'),
  firingRecords: sqlFile('alerts', 'firing-records.sql'),
  countNotifications: sqlFile('alerts', 'count-notifications.sql'),
  withdrawHeld: sqlFile('alerts', 'withdraw-held.sql'),
  giveUpUnsent: sqlFile('alerts', 'give-up-unsent.sql'),
};

/** The routes a rule's notifications go to (all of them, unless the rule names some). */
export const routesOf = (rule: Rule | undefined, routes: readonly Route[]) =>
  routes.filter((route) => !rule?.routes || rule.routes.includes(route.name));

/** Queues one notification of event `eventId` to `route`, due at `due` (in a transaction, or not). */
export const queueNotification = (t: IBaseProtocol<object>, eventId: string, route: string, due: number) =>
  t.none(sql.queueNotification, { eventId, route, due: new Date(due) });

/** Queues a firing's notifications to the routes that take it; returns how many. */
export async function queueFiring(t: Task, eventId: string, severity: Severity, rule: Rule | undefined,
  routes: readonly Route[], at: number): Promise<number> {
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
  return t.any<NotificationRecord & { route: string; due_at: Date }>(sql.firingRecords, { eventId: firedId });
}

/** Gives up every notification of firing `firedId` not sent yet, saying `error`. */
export async function giveUpUnsent(t: Task, firedId: string, error: string, at: number): Promise<void> {
  await t.none(sql.giveUpUnsent, { eventId: firedId, error, at: new Date(at) });
}

/**
 * Queues the resolution `resolvedId` of a firing whose notifications are `records` to each route owed
 * one (alerts/owed.ts decideResolution, the route read as `readAs` says); `withdraw` is told of each
 * route whose held firings the resolution replaces. Returns the routes it queued to.
 */
export async function queueOwedResolutions(t: Task, records: Awaited<ReturnType<typeof firingRecordsOf>>,
  resolvedId: string, severity: Severity, routes: readonly Route[], at: number,
  { readAs = (route: Route): Pick<Route, 'sendResolved' | 'type'> => route,
    withdraw = async (_route: Route): Promise<unknown> => undefined } = {}): Promise<string[]> {
  const to: string[] = [];
  for (const route of routes) {
    const firings = records.filter((record) => record.route === route.name)
      .map((record) => ({ delivery: deliveryOf(record), dueAt: record.due_at.getTime() }));
    const decision = decideResolution(readAs(route), firings);
    if (decision.withdraw) await withdraw(route);
    if (!decision.resolve) continue;
    const due = Math.max(dueThrough(route, severity, at), decision.notBefore ?? 0);
    await queueNotification(t, resolvedId, route.name, due);
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
export async function queueResolution(t: Task, key: AlertKey, firedAt: number, resolvedId: string,
  rule: Rule | undefined, routes: readonly Route[], at: number): Promise<number> {
  const fired = await firingEventOf(t, key, new Date(firedAt));
  if (!fired) return 0;
  const records = await firingRecordsOf(t, fired.id);
  if (isPastEpisode({ catchingUp: fired.catching_up, inhibited: fired.inhibited }, records.length)) {
    // Marked, and its stored words (°C, UTC) those of an episode, not of a resolution.
    const row = await markPastEpisode(t, resolvedId);
    await setEventMessage(t, resolvedId, sentenceOf(row, STORED_UNITS));
    return queueFiring(t, resolvedId, fired.severity, rule, routes.filter(takesPastEpisodes), at);
  }
  const withdraw = (route: Route) =>
    t.none(sql.withdrawHeld, { eventId: fired.id, route: route.name, at: new Date(at) });
  return (await queueOwedResolutions(t, records, resolvedId, fired.severity, routes, at, { withdraw })).length;
}

/**
 * An alert still firing whose device is online and whose series has caught up: if its firing was held
 * back (inhibited, or made by a backlog) and nothing of it was queued, its firing is notified now,
 * dated when it began. Returns how many notifications it queued (0 when it was not held back, so any
 * number of releases notify it once).
 */
export async function releaseHeld(t: Task, key: AlertKey, firedAt: number, rule: Rule | undefined,
  routes: readonly Route[], at: number): Promise<number> {
  const fired = await firingEventOf(t, key, new Date(firedAt));
  if (!fired?.inhibited && !fired?.catching_up) return 0;
  const { count } = await t.one<{ count: number }>(sql.countNotifications, { eventId: fired.id });
  return count > 0 ? 0 : queueFiring(t, fired.id, fired.severity, rule, routes, at);
}

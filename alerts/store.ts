import type { Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';
import type { Change } from './engine.js';
import { queueFiring, queueResolution, releaseHeld } from './outbox.js';
import { loadProgress } from './progress-store.js';
import type { Route } from './routes.js';
import type { Rule } from './rules.js';
import { columnsOf, dateOf, insertEvent, loadStates, saveStates } from './state-store.js';

/**
 * What the alerts engine keeps in PostgreSQL, as one unit each: everything it needs after a restart,
 * and each batch of what it says changed (states, events and the outbox, in one transaction).
 */

const sql = {
  seriesLastSeen: sqlFile('alerts', 'series-last-seen.sql'),
  offlineDevices: sqlFile('alerts', 'offline-devices.sql'),
};

/** Everything the engine needs after a restart. */
export async function loadForRestore(db: Db) {
  const states = await loadStates(db);
  const lastSeen = await db.map(sql.seriesLastSeen, [],
    (row: { device: string; sensor: string; metric: string; last_ts: Date }) =>
      ({ device: row.device, sensor: row.sensor, metric: row.metric, at: row.last_ts.getTime() }));
  const offline = await db.map(sql.offlineDevices, [],
    (row: { device: string; since: Date }) => ({ device: row.device, since: row.since.getTime() }));
  return { states, lastSeen, offline, progress: await loadProgress(db) };
}

/**
 * Stores what the engine says changed, in one transaction: each alert's state (or its removal), each
 * event, and for each event the notifications its routes take (alerts/outbox.ts), due when group wait
 * and quiet hours say; a released alert's firing that inhibition held back. The states are written
 * together (nothing here reads them back); the events one at a time, in order, since each event's
 * notifications are decided from the events and notifications stored before it.
 */
export async function saveChanges(db: Db, changes: readonly Change[], rules: readonly Rule[],
  routes: readonly Route[], at: number): Promise<number> {
  if (changes.length === 0) return 0;
  let notifications = 0;
  await db.tx(async (t) => {
    await saveStates(t, changes, at);
    for (const { key, state, event, release } of changes) {
      const rule = rules.find((candidate) => candidate.name === key.rule);
      if (release && state?.firedAt !== undefined) {
        notifications += await releaseHeld(t, key, state.firedAt, rule, routes, at);
      }
      if (!event) continue;
      const id = await insertEvent(t, {
        ...columnsOf(key), ...event.facts, at: new Date(event.at), kind: event.type, severity: event.severity,
        value: Number.isFinite(event.value) ? event.value : null, message: event.message, labels: event.labels,
        started_at: new Date(event.startedAt), fired_at: dateOf(event.type === 'resolved' ? event.firedAt : event.at),
        inhibited: event.inhibited, catching_up: event.catchingUp, reason: null,
      });
      // Issue 24, items 1 and 2: an inhibited firing waits for its device, a backlog's for its series to
      // catch up (releaseHeld); a resolution goes where the firing went, inhibited or not (alerts/owed.ts),
      // and one of an episode a backlog fired and ended is that episode's one notification.
      if (event.type === 'resolved') {
        notifications += await queueResolution(t, key, event.firedAt, id, rule, routes, at);
      } else if (!event.inhibited && !event.catchingUp) {
        notifications += await queueFiring(t, id, event.severity, rule, routes, at);
      }
    }
  });
  return notifications;
}

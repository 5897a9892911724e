import type { IBaseProtocol } from 'pg-promise';
import { pgp } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';
import type { AlertKey } from './engine.js';
import type { AlertFacts } from './facts.js';
import type { Severity } from './rules.js';
import type { AlertState, Phase } from './transitions.js';
import type { EventRow } from './words.js';

/**
 * The rows of alert_state (an alert pending, firing or recovering) and alert_events (what it did), read
 * and written (sql/006_alerts.sql and later). Each call runs on what it is given: the pool, or a
 * transaction that writes the outbox with them.
 */

type Queryable = IBaseProtocol<object>;

export interface StateRow {
  rule: string;
  device: string;
  sensor: string;
  metric: string;
  phase: Phase;
  started_at: Date;
  fired_at: Date | null;
  recovering_since: Date | null;
  value: number;
  observed_at: Date | null;
}

/** An event's facts as stored: null in rows older than version 13 (alerts/words.ts says those by their message). */
export type NullableFacts = { [K in keyof AlertFacts]: AlertFacts[K] | null };

const sql = {
  loadStates: sqlFile('alerts', 'load-states.sql'),
  saveStates: sqlFile('alerts', 'save-states.sql'),
  deleteStates: sqlFile('alerts', 'delete-states.sql'),
  takeState: sqlFile('alerts', 'take-state.sql'),
  insertEvent: sqlFile('alerts', 'insert-event.sql'),
  firingEvent: sqlFile('alerts', 'firing-event.sql'),
  markPastEpisode: sqlFile('alerts', 'mark-past-episode.sql'),
  setEventMessage: sqlFile('alerts', 'set-event-message.sql'),
};

const timestamp = (name: string) => ({ name, cast: 'timestamptz' });
const KEY = ['rule', 'device', 'sensor', 'metric'];
const keyColumns = new pgp.helpers.ColumnSet(KEY);
const stateColumns = new pgp.helpers.ColumnSet([...KEY,
  'phase', timestamp('started_at'), timestamp('fired_at'), timestamp('recovering_since'), 'value',
  timestamp('updated_at'), timestamp('observed_at'),
]);

/** An alert's key as stored: sensor and metric '' for device and sensor alerts. */
export const columnsOf = (key: AlertKey) => ({
  rule: key.rule, device: key.device, sensor: key.sensor ?? '', metric: key.metric ?? '',
});

export const keyOf = (row: { rule: string; device: string; sensor: string; metric: string }): AlertKey => ({
  rule: row.rule, device: row.device, ...(row.sensor ? { sensor: row.sensor } : {}),
  ...(row.metric ? { metric: row.metric } : {}),
});

export const dateOf = (ms: number | undefined) => (ms === undefined ? null : new Date(ms));

function stateOf(row: StateRow): AlertState {
  return {
    phase: row.phase, startedAt: row.started_at.getTime(), value: row.value,
    ...(row.fired_at ? { firedAt: row.fired_at.getTime() } : {}),
    ...(row.recovering_since ? { recoveringSince: row.recovering_since.getTime() } : {}),
    ...(row.observed_at ? { observedAt: row.observed_at.getTime() } : {}),
  };
}

/** Every stored alert, with its state. */
export async function loadStates(db: Queryable): Promise<Array<{ key: AlertKey; state: AlertState }>> {
  const rows = await db.any<StateRow>(sql.loadStates);
  return rows.map((row) => ({ key: keyOf(row), state: stateOf(row) }));
}

/**
 * Stores each alert's last state in `changes` (null: it ended, its row goes), updated at `at`: one
 * statement for the states kept, one for those removed. An alert changed twice is stored as its last
 * change left it, as writing each change in turn would.
 */
export async function saveStates(t: Queryable, changes: ReadonlyArray<{ key: AlertKey; state: AlertState | null }>,
  at: number): Promise<void> {
  const last = new Map<string, { key: AlertKey; state: AlertState | null }>();
  for (const change of changes) {
    const columns = columnsOf(change.key);
    last.set(JSON.stringify([columns.rule, columns.device, columns.sensor, columns.metric]), change);
  }
  const kept = [...last.values()].flatMap(({ key, state }) => (state ? [{
    ...columnsOf(key), phase: state.phase, started_at: new Date(state.startedAt), fired_at: dateOf(state.firedAt),
    recovering_since: dateOf(state.recoveringSince), value: state.value, updated_at: new Date(at),
    observed_at: dateOf(state.observedAt),
  }] : []));
  const removed = [...last.values()].flatMap(({ key, state }) => (state ? [] : [columnsOf(key)]));
  if (kept.length > 0) await t.none(sql.saveStates, { values: pgp.helpers.values(kept, stateColumns) });
  if (removed.length > 0) await t.none(sql.deleteStates, { values: pgp.helpers.values(removed, keyColumns) });
}

/** Deletes an alert's state and returns it; null when there was none (another worker took it). */
export function takeState(t: Queryable, key: AlertKey): Promise<StateRow | null> {
  return t.oneOrNone<StateRow>(sql.takeState, columnsOf(key));
}

/** An alert event as alert_events stores it (the columns insert-event.sql writes). */
export interface EventInsert extends NullableFacts {
  at: Date;
  kind: 'fired' | 'resolved';
  rule: string;
  device: string;
  sensor: string;
  metric: string;
  severity: Severity;
  value: number | null;
  message: string;
  labels: Readonly<Record<string, string>>;
  started_at: Date;
  fired_at: Date | null;
  inhibited: boolean;
  catching_up: boolean;
  /** Why it resolved other than by its condition ('rule removed'); null otherwise. */
  reason: string | null;
}

/** Stores one event and returns its id; ids follow the order of the calls. */
export async function insertEvent(t: Queryable, event: EventInsert): Promise<string> {
  return (await t.one<{ id: string }>(sql.insertEvent, event)).id;
}

/** The firing event of this alert that fired at `firedAt`, or null (a state older than its events). */
export function firingEventOf(t: Queryable, key: AlertKey, firedAt: Date) {
  return t.oneOrNone<{
    id: string; severity: Severity; message: string; labels: Record<string, string>; inhibited: boolean;
    catching_up: boolean;
  } & NullableFacts>(sql.firingEvent, { ...columnsOf(key), firedAt });
}

/** Marks a resolution the one notification of a past episode; returns the event as stored now. */
export function markPastEpisode(t: Queryable, id: string): Promise<EventRow> {
  return t.one<EventRow>(sql.markPastEpisode, { id });
}

export async function setEventMessage(t: Queryable, id: string, message: string): Promise<void> {
  await t.none(sql.setEventMessage, { id, message });
}

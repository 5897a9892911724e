import type { Db } from '../shared/db.js';
import type { AlertKey, Change } from './engine.js';
import type { AlertFacts } from './facts.js';
import type { Rule, Severity } from './rules.js';
import { ownerOf, RULE_REMOVED } from './orphans.js';
import { firingRecordsOf, queueFiring, queueNotification, queueOwedResolutions, queueResolution, releaseHeld } from './outbox.js';
import { loadProgress } from './progress-store.js';
import { planNotification, type Route } from './routes.js';
import type { AlertState, Phase } from './transitions.js';
import { sentenceOf, STORED_UNITS } from './words.js';

/** What the alerts worker keeps in PostgreSQL (sql/006_alerts.sql): state, events, the notification outbox. */

interface StateRow {
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

const keyOf = (r: { rule: string; device: string; sensor: string; metric: string }): AlertKey => ({
  rule: r.rule, device: r.device, ...(r.sensor ? { sensor: r.sensor } : {}), ...(r.metric ? { metric: r.metric } : {}),
});

/** Everything the engine needs after a restart. */
export async function loadForRestore(db: Db) {
  const states = (await db.any<StateRow>('SELECT * FROM alert_state')).map((r) => ({
    key: keyOf(r),
    state: {
      phase: r.phase, startedAt: r.started_at.getTime(), value: r.value,
      ...(r.fired_at ? { firedAt: r.fired_at.getTime() } : {}),
      ...(r.recovering_since ? { recoveringSince: r.recovering_since.getTime() } : {}),
      ...(r.observed_at ? { observedAt: r.observed_at.getTime() } : {}),
    } as AlertState,
  }));
  const lastSeen = await db.map('SELECT device, sensor, metric, last_ts FROM series', [], (r: { device: string; sensor: string; metric: string; last_ts: Date }) => ({ device: r.device, sensor: r.sensor, metric: r.metric, at: r.last_ts.getTime() }));
  const offline = await db.map("SELECT device, coalesce(status_changed_at, last_seen) AS since FROM devices WHERE status = 'offline'", [], (r: { device: string; since: Date }) => ({ device: r.device, since: r.since.getTime() }));
  return { states, lastSeen, offline, progress: await loadProgress(db) };
}

/**
 * Stores what the engine says changed, in one transaction: each alert's state (or its removal), each
 * event, and for each event the notifications its routes take (alerts/outbox.ts), due when group wait
 * and quiet hours say; a released alert's firing that inhibition held back.
 */
export async function saveChanges(db: Db, changes: readonly Change[], rules: readonly Rule[], routes: readonly Route[], at: number): Promise<number> {
  if (changes.length === 0) return 0;
  let notifications = 0;
  await db.tx(async (t) => {
    for (const { key, state, event, release } of changes) {
      const where = [key.rule, key.device, key.sensor ?? '', key.metric ?? ''];
      if (state) {
        await t.none(`INSERT INTO alert_state (rule, device, sensor, metric, phase, started_at, fired_at, recovering_since, value, updated_at, observed_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
          ON CONFLICT (rule, device, sensor, metric) DO UPDATE SET phase = EXCLUDED.phase, started_at = EXCLUDED.started_at, fired_at = EXCLUDED.fired_at,
            recovering_since = EXCLUDED.recovering_since, value = EXCLUDED.value, updated_at = EXCLUDED.updated_at, observed_at = EXCLUDED.observed_at`,
        [...where, state.phase, new Date(state.startedAt), date(state.firedAt), date(state.recoveringSince), state.value, new Date(at), date(state.observedAt)]);
      } else {
        await t.none('DELETE FROM alert_state WHERE rule = $1 AND device = $2 AND sensor = $3 AND metric = $4', where);
      }
      const rule = rules.find((r) => r.name === key.rule);
      if (release && state?.firedAt !== undefined) notifications += await releaseHeld(t, key, state.firedAt, rule, routes, at);
      if (!event) continue;
      const f = event.facts;
      const { id } = await t.one<{ id: string }>(`INSERT INTO alert_events (at, kind, rule, device, sensor, metric, severity, value, message, labels, started_at, fired_at, inhibited, catching_up,
          condition, threshold_lo, threshold_hi, clear_lo, clear_hi, unit, template)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) RETURNING id`,
      [new Date(event.at), event.type, ...where, event.severity, Number.isFinite(event.value) ? event.value : null, event.message, event.labels, new Date(event.startedAt), date(event.type === 'resolved' ? event.firedAt : event.at), event.inhibited, event.catchingUp,
        f.condition, f.threshold_lo, f.threshold_hi, f.clear_lo, f.clear_hi, f.unit, f.template]);
      // Issue 24, items 1 and 2: an inhibited firing waits for its device, a backlog's for its series to
      // catch up (releaseHeld); a resolution goes where the firing went, inhibited or not (alerts/owed.ts),
      // and one of an episode a backlog fired and ended is that episode's one notification.
      if (event.type === 'resolved') notifications += await queueResolution(t, key, event.firedAt, id, rule, routes, at);
      else if (!event.inhibited && !event.catchingUp) notifications += await queueFiring(t, id, event.severity, rule, routes, at);
    }
  });
  return notifications;
}

const date = (ms: number | undefined) => (ms === undefined ? null : new Date(ms));

/** An event's facts as stored: null in rows older than version 13 (alerts/words.ts says those by their message). */
type NullableFacts = { [K in keyof AlertFacts]: AlertFacts[K] | null };

/** A notification due now, with its event. */
export interface DueNotification {
  id: string;
  route: string;
  attempts: number;
  /** reason: why it resolved other than by its condition ('rule removed'); null (or absent) otherwise. */
  event: {
    kind: 'fired' | 'resolved'; at: Date; rule: string; device: string; sensor: string; metric: string; severity: Severity; value: number | null;
    message: string; labels: Record<string, string>; started_at: Date; fired_at: Date | null; reason?: string | null;
    /** A resolution that is the only notification of an episode a backlog fired and ended (absent: false). */
    past_episode?: boolean;
  } & Partial<NullableFacts>;
}

/** How long a claimed notification is leased to this sender before another may take it. */
const LEASE_MS = 60_000;

/** Takes up to `limit` due notifications, leasing them so a second worker does not send them too. */
export async function claimDue(db: Db, at: number, limit = 50): Promise<DueNotification[]> {
  const rows = await db.any<{ id: string; route: string; attempts: number; event: DueNotification['event'] }>(`
    WITH due AS (
      SELECT id FROM alert_notifications
      WHERE sent_at IS NULL AND gave_up_at IS NULL AND due_at <= $1
      ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED
    ), leased AS (
      UPDATE alert_notifications n SET attempts = n.attempts + 1, due_at = $3 FROM due WHERE n.id = due.id
      RETURNING n.id, n.route, n.attempts, n.event_id
    )
    SELECT l.id, l.route, l.attempts, to_jsonb(e) AS event FROM leased l JOIN alert_events e ON e.id = l.event_id ORDER BY e.at`,
  [new Date(at), limit, new Date(at + LEASE_MS)]);
  return rows.map((r) => ({ ...r, event: { ...r.event, at: new Date(r.event.at), started_at: new Date(r.event.started_at), fired_at: r.event.fired_at ? new Date(r.event.fired_at) : null } }));
}

export async function markSent(db: Db, ids: readonly string[], at: number): Promise<void> {
  await db.none('UPDATE alert_notifications SET sent_at = $2, last_error = NULL WHERE id = ANY($1::bigint[])', [ids, new Date(at)]);
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
  return db.map(`UPDATE alert_notifications n SET gave_up_at = $2, last_error = 'superseded: a later firing of this alert was published since'
    FROM alert_events e
    WHERE n.id = ANY($1::bigint[]) AND e.id = n.event_id AND e.kind = 'resolved' AND EXISTS (
      SELECT 1 FROM alert_events f JOIN alert_notifications m ON m.event_id = f.id
      WHERE f.kind = 'fired' AND f.rule = e.rule AND f.device = e.device AND f.sensor = e.sensor AND f.metric = e.metric
        AND f.at > e.fired_at AND m.route = n.route AND m.sent_at IS NOT NULL)
    RETURNING n.id`, [ids, new Date(at)], (r: { id: string | number }) => String(r.id));
}

/** Retries later, or gives up after `maxAttempts` (the failure stays in last_error). */
export async function markFailed(db: Db, ids: readonly string[], error: string, retryAt: number, maxAttempts: number): Promise<void> {
  await db.none(`UPDATE alert_notifications SET last_error = $2,
      due_at = CASE WHEN attempts >= $4 THEN due_at ELSE $3 END,
      gave_up_at = CASE WHEN attempts >= $4 THEN now() END
    WHERE id = ANY($1::bigint[])`, [ids, error.slice(0, 500), new Date(retryAt), maxAttempts]);
}

/**
 * Alerts still firing whose last notification through a route is older than that route's
 * repeatInterval get a new one (quiet hours and group wait apply as to the first). Returns how many.
 * Only alerts a rule of `rules` still owns repeat (issue 24, item 3): a state left by a removed rule
 * is resolved at start, and a worker with another configuration must not repeat it meanwhile. An
 * alert whose device is offline is inhibited and does not repeat (its offline alert does).
 */
export async function queueRepeats(db: Db, rules: readonly Rule[], routes: readonly Route[], at: number): Promise<number> {
  const repeating = routes.filter((r) => r.repeatIntervalMs > 0);
  if (repeating.length === 0) return 0;
  const candidates = await db.any<{ event_id: string; route: string; severity: Severity; last_sent: Date; rule: string; device: string; sensor: string; metric: string; device_status: string | null }>(`
    SELECT e.id AS event_id, n.route, e.severity, max(n.sent_at) AS last_sent, s.rule, s.device, s.sensor, s.metric, d.status AS device_status
    FROM alert_state s
    JOIN alert_events e ON e.rule = s.rule AND e.device = s.device AND e.sensor = s.sensor AND e.metric = s.metric AND e.kind = 'fired' AND e.at = s.fired_at
    JOIN alert_notifications n ON n.event_id = e.id
    LEFT JOIN devices d ON d.device = s.device
    WHERE s.phase IN ('firing', 'recovering')
    GROUP BY e.id, n.route, e.severity, s.rule, s.device, s.sensor, s.metric, d.status
    HAVING bool_and(n.sent_at IS NOT NULL OR n.gave_up_at IS NOT NULL) AND max(n.sent_at) IS NOT NULL`);
  let queued = 0;
  for (const c of candidates) {
    const rule = ownerOf(rules, keyOf(c));
    // While its device is offline an alert is inhibited: its offline alert repeats, it does not.
    if (!rule || (c.device_status === 'offline' && rule.type !== 'offline')) continue;
    const route = repeating.find((r) => r.name === c.route);
    if (!route || at - c.last_sent.getTime() < route.repeatIntervalMs) continue;
    const due = planNotification(route, { type: 'fired', severity: c.severity }, at);
    if (due === null) continue;
    await queueNotification(db, c.event_id, c.route, due);
    queued++;
  }
  return queued;
}

/** What became of one orphaned alert at start. */
export interface OrphanOutcome {
  key: AlertKey;
  phase: Phase;
  /** A resolution with reason 'rule removed' was recorded (it had fired). */
  resolved: boolean;
  /** The routes its resolution goes to: those a firing notification of it reached (or may have), or was still to reach. */
  routes: string[];
}

/**
 * Resolves and deletes alerts no rule owns any more (alerts/orphans.ts), each in one transaction.
 * What was sent is a record, read as for any resolution (alerts/owed.ts decideResolution): a
 * resolution with reason 'rule removed' goes to each route a firing notification of the alert went
 * out to (or was handed to and never marked, as after a crash while sending), if it still exists and
 * sends resolutions; an MQTT route's clears the retained message, with sendResolved or without. A
 * firing still held (group wait, quiet hours) and its resolution are one message, the resolution, when
 * the firing would have gone.
 * Unsent firing notifications are given up: none goes out after its rule is gone. A pending alert, or
 * one that fired while inhibited, is deleted with no notification. An alert another worker has
 * already removed is skipped, so two workers starting at once resolve it once.
 */
export async function resolveOrphaned(db: Db, orphaned: ReadonlyArray<{ key: AlertKey }>, routes: readonly Route[], at: number): Promise<OrphanOutcome[]> {
  const outcomes: OrphanOutcome[] = [];
  for (const { key } of orphaned) {
    const where = [key.rule, key.device, key.sensor ?? '', key.metric ?? ''];
    const outcome = await db.tx(async (t): Promise<OrphanOutcome | null> => {
      const state = await t.oneOrNone<StateRow>('DELETE FROM alert_state WHERE rule = $1 AND device = $2 AND sensor = $3 AND metric = $4 RETURNING *', where);
      if (!state) return null;
      const fired = state.phase === 'pending' || !state.fired_at ? null : await t.oneOrNone<{ id: string; severity: Severity; message: string; labels: Record<string, string>; inhibited: boolean } & NullableFacts>(`
        SELECT id, severity, message, labels, inhibited, condition, threshold_lo, threshold_hi, clear_lo, clear_hi, unit, template FROM alert_events
        WHERE rule = $1 AND device = $2 AND sensor = $3 AND metric = $4 AND kind = 'fired' AND at = $5 ORDER BY id DESC LIMIT 1`, [...where, state.fired_at]);
      if (!fired) return { key, phase: state.phase, resolved: false, routes: [] };
      const rows = await firingRecordsOf(t, fired.id);
      // Its firing notifications not sent yet never will be; what each route is owed, alerts/owed.ts says.
      await t.none(`UPDATE alert_notifications SET gave_up_at = $2, last_error = $3
        WHERE event_id = $1 AND sent_at IS NULL AND gave_up_at IS NULL`, [fired.id, new Date(at), `${RULE_REMOVED} before it was sent`]);
      // The facts of its firing, and its words in the stored units; one older than version 13 keeps its firing's message.
      const facts = { condition: fired.condition, threshold_lo: fired.threshold_lo, threshold_hi: fired.threshold_hi, clear_lo: fired.clear_lo, clear_hi: fired.clear_hi, unit: fired.unit, template: fired.template };
      const value = Number.isFinite(state.value) ? state.value : null;
      const message = facts.condition === null ? fired.message
        : sentenceOf({ ...facts, kind: 'resolved', at: new Date(at), started_at: state.started_at, rule: key.rule, device: key.device, sensor: key.sensor ?? '', metric: key.metric ?? '', severity: fired.severity, value, message: fired.message, reason: RULE_REMOVED }, STORED_UNITS);
      const { id } = await t.one<{ id: string }>(`INSERT INTO alert_events (at, kind, rule, device, sensor, metric, severity, value, message, labels, started_at, fired_at, inhibited, reason,
          condition, threshold_lo, threshold_hi, clear_lo, clear_hi, unit, template)
        VALUES ($1, 'resolved', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id`,
      [new Date(at), ...where, fired.severity, value, message, fired.labels, state.started_at, state.fired_at, fired.inhibited, RULE_REMOVED,
        facts.condition, facts.threshold_lo, facts.threshold_hi, facts.clear_lo, facts.clear_hi, facts.unit, facts.template]);
      // An MQTT route clears what it retained, sendResolved or not: nothing else will for a rule that is gone.
      const to = await queueOwedResolutions(t, rows, id, fired.severity, routes, at, { readAs: (route) => (route.type === 'mqtt' ? { ...route, sendResolved: true } : route) });
      return { key, phase: state.phase, resolved: true, routes: to.sort() };
    });
    if (outcome) outcomes.push(outcome);
  }
  return outcomes;
}

import type { Db } from '../shared/db.js';
import type { AlertKey } from './engine.js';
import { RULE_REMOVED } from './orphans.js';
import { firingRecordsOf, giveUpUnsent, queueOwedResolutions } from './outbox.js';
import type { Route } from './routes.js';
import { columnsOf, firingEventOf, insertEvent, takeState } from './state-store.js';
import type { Phase } from './transitions.js';
import { sentenceOf, STORED_UNITS } from './words.js';

/** What became of one orphaned alert at start. */
export interface OrphanOutcome {
  key: AlertKey;
  phase: Phase;
  /** A resolution with reason 'rule removed' was recorded (it had fired). */
  resolved: boolean;
  /**
   * The routes its resolution goes to: those a firing notification of it reached (or may have), or was
   * still to reach.
   */
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
export async function resolveOrphaned(db: Db, orphaned: ReadonlyArray<{ key: AlertKey }>, routes: readonly Route[],
  at: number): Promise<OrphanOutcome[]> {
  const outcomes: OrphanOutcome[] = [];
  for (const { key } of orphaned) {
    const outcome = await db.tx(async (t): Promise<OrphanOutcome | null> => {
      const state = await takeState(t, key);
      if (!state) return null;
      const fired = state.phase === 'pending' || !state.fired_at ? null : await firingEventOf(t, key, state.fired_at);
      if (!fired) return { key, phase: state.phase, resolved: false, routes: [] };
      const records = await firingRecordsOf(t, fired.id);
      // Its firing notifications not sent yet never will be; what each route is owed, alerts/owed.ts says.
      await giveUpUnsent(t, fired.id, `${RULE_REMOVED} before it was sent`, at);
      // The facts of its firing, and its words in the stored units; one older than version 13 keeps its
      // firing's message.
      const facts = {
        condition: fired.condition, threshold_lo: fired.threshold_lo, threshold_hi: fired.threshold_hi,
        clear_lo: fired.clear_lo, clear_hi: fired.clear_hi, unit: fired.unit, template: fired.template,
      };
      const value = Number.isFinite(state.value) ? state.value : null;
      const resolution = {
        ...columnsOf(key), ...facts, kind: 'resolved' as const, at: new Date(at), started_at: state.started_at,
        severity: fired.severity, value, reason: RULE_REMOVED,
      };
      const message = facts.condition === null ? fired.message
        : sentenceOf({ ...resolution, message: fired.message }, STORED_UNITS);
      const id = await insertEvent(t, {
        ...resolution, message, labels: fired.labels, fired_at: state.fired_at, inhibited: fired.inhibited,
        catching_up: false,
      });
      // An MQTT route clears what it retained, sendResolved or not: nothing else will for a rule that is gone.
      const readAs = (route: Route) => (route.type === 'mqtt' ? { ...route, sendResolved: true } : route);
      const to = await queueOwedResolutions(t, records, id, fired.severity, routes, at, { readAs });
      return { key, phase: state.phase, resolved: true, routes: to.sort() };
    });
    if (outcome) outcomes.push(outcome);
  }
  return outcomes;
}

import type { AlertKey } from './engine.js';
import { selects, type Rule, type RuleType } from './rules.js';

/**
 * Which stored alerts still belong to a rule of the configuration (issue 24, item 3). An alert's state
 * is keyed by its rule's name and its series; after the rules change (a restart with another
 * configuration) a state belongs to a rule only if a rule of that name exists, of a type whose alerts
 * have this key's shape, and its selector still selects the key. Anything else is orphaned: nothing
 * would ever evaluate it again, so it would fire (and repeat) forever. A renamed rule is a removed one
 * and a new one; a rule whose type changed is a new alert too. Pure.
 */

/** Why an orphaned alert is resolved: stored with its resolution and said in its notification. */
export const RULE_REMOVED = 'rule removed';

/** The levels an alert of this type is about: device/sensor/metric, device/sensor, or device. */
function levelsOf(type: RuleType, key: AlertKey): string[] | null {
  const sensor = key.sensor ?? '';
  const metric = key.metric ?? '';
  switch (type) {
    case 'threshold':
    case 'stale':
      return sensor && metric ? [key.device, sensor, metric] : null;
    case 'sensorHealth':
      return sensor && !metric ? [key.device, sensor] : null;
    case 'offline':
      return !sensor && !metric ? [key.device] : null;
  }
}

/** The rule that owns this alert, or null when the alert is orphaned. */
export function ownerOf(rules: readonly Rule[], key: AlertKey): Rule | null {
  const rule = rules.find((r) => r.name === key.rule);
  if (!rule) return null;
  const levels = levelsOf(rule.type, key);
  return levels && selects(rule.select, levels) ? rule : null;
}

/** Splits stored alerts into those a rule still owns and the orphaned ones, each in its order. */
export function partitionByOwner<T extends { key: AlertKey }>(rules: readonly Rule[],
  alerts: readonly T[]): { owned: T[]; orphaned: T[] } {
  const owned: T[] = [];
  const orphaned: T[] = [];
  for (const alert of alerts) (ownerOf(rules, alert.key) ? owned : orphaned).push(alert);
  return { owned, orphaned };
}

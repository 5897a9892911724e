import { unitOf } from '../shared/contract.js';
import { DEFAULT_MESSAGES, THRESHOLD_CONDITIONS, thresholdCondition, type Rule, type RuleType } from './rules.js';

/**
 * What an alert event is about, beyond its series and times (issue 24, item 5): what held, against
 * which thresholds, in which unit, and the rule's own wording if it has one. The engine records these
 * with each event (alert_events, sql/013_alert_facts.sql); alerts/words.ts turns them into words for
 * each reader. Pure.
 */

export const CONDITIONS = [...THRESHOLD_CONDITIONS, 'silent', 'offline', 'failing'] as const;
export type Condition = (typeof CONDITIONS)[number];

export interface AlertFacts {
  condition: Condition;
  /** Where the alert starts: below lo, above hi (a stale rule's after in s; a health rule's maxFailureRate). */
  threshold_lo: number | null;
  threshold_hi: number | null;
  /** Where it ends (hysteresis); equal to the start without `clear`. */
  clear_lo: number | null;
  clear_hi: number | null;
  /** Of value and the thresholds, as stored (°C for temperature); s for a stale rule. */
  unit: string | null;
  /** The rule's own message template; null for the built-in wording. */
  template: string | null;
}

/** The rule type whose built-in wording fits a condition. */
export const ruleTypeOf = (c: Condition): RuleType =>
  c === 'silent' ? 'stale' : c === 'offline' ? 'offline' : c === 'failing' ? 'sensorHealth' : 'threshold';

export const isCondition = (c: unknown): c is Condition => (CONDITIONS as readonly unknown[]).includes(c);

/** The facts of an event of `rule` about `metric` (empty for device and sensor alerts). */
export function factsOf(rule: Rule, metric: string): AlertFacts {
  const template = rule.message === DEFAULT_MESSAGES[rule.type] ? null : rule.message;
  const none = { threshold_lo: null, threshold_hi: null, clear_lo: null, clear_hi: null, unit: null, template };
  switch (rule.type) {
    case 'threshold': {
      const { start, clear } = rule;
      const condition = thresholdCondition(start);
      return {
        condition, threshold_lo: start.lo ?? null, threshold_hi: start.hi ?? null, clear_lo: clear.lo ?? null,
        clear_hi: clear.hi ?? null, unit: unitOf(metric), template,
      };
    }
    case 'stale':
      return { ...none, condition: 'silent', threshold_hi: rule.afterMs / 1000, clear_hi: rule.afterMs / 1000,
        unit: 's' };
    case 'offline':
      return { ...none, condition: 'offline' };
    case 'sensorHealth':
      const rate = rule.maxFailureRate ?? null;
      return { ...none, condition: 'failing', threshold_hi: rate, clear_hi: rate };
  }
}

import { factsOf } from './facts.js';
import type { NotificationEvent } from './format.js';
import { thresholdCondition, type Rule, type ThresholdRule } from './rules.js';
import { sentenceOf, STORED_UNITS } from './words.js';

/**
 * A made-up firing event of a rule, for `pimonitor alerts test`: its selector's names, a value past its
 * threshold, the facts of the rule, and its wording marked TEST (each route words it in its own units). Pure.
 */
export function sampleEvent(rule: Rule, at: Date): NotificationEvent {
  const name = (i: number, fallback: string) =>
    rule.select[i] && rule.select[i] !== '+' && rule.select[i] !== '#' ? rule.select[i]! : fallback;
  const device = name(0, 'test-device');
  const sensor = rule.type === 'offline' ? '' : name(1, 'dht22');
  const metric = rule.type === 'threshold' || rule.type === 'stale' ? name(2, 'temperature') : '';
  const value = rule.type === 'threshold' ? pastThreshold(rule) : rule.type === 'stale' ? rule.afterMs / 1000 : 1;
  const facts = factsOf(rule, metric);
  const event = {
    ...facts,
    template: `TEST: ${rule.message}`,
    kind: 'fired' as const,
    at,
    rule: rule.name,
    device,
    sensor,
    metric,
    severity: rule.severity,
    value,
    message: '',
    labels: { ...rule.labels, test: 'true' },
    started_at: new Date(at.getTime() - 5 * 60_000),
    fired_at: at,
  };
  return { ...event, message: sentenceOf(event, STORED_UNITS) };
}

/** A value on the firing side of a threshold rule's start: one below its low bound, else one above its high. */
function pastThreshold({ start }: ThresholdRule): number {
  return thresholdCondition(start) === 'below' ? start.lo! - 1 : start.hi! + 1;
}

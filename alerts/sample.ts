import type { NotificationEvent } from './format.js';
import { renderMessage, formatUnit } from './message.js';
import type { Rule } from './rules.js';
import { unitOf } from '../shared/contract.js';

/** A made-up firing event of a rule, for `pimonitor alerts test`: its selector's names, a value past its threshold. Pure. */
export function sampleEvent(rule: Rule, at: Date): NotificationEvent {
  const name = (i: number, fallback: string) => (rule.select[i] && rule.select[i] !== '+' && rule.select[i] !== '#' ? rule.select[i]! : fallback);
  const device = name(0, 'test-device');
  const sensor = rule.type === 'offline' ? '' : name(1, 'dht22');
  const metric = rule.type === 'threshold' || rule.type === 'stale' ? name(2, 'temperature') : '';
  const value = rule.type === 'threshold' ? (rule.start.hi !== undefined ? rule.start.hi + 1 : rule.start.lo! - 1) : 1;
  const threshold = rule.type === 'threshold' ? String(rule.start.hi ?? rule.start.lo) : '';
  const condition = rule.type === 'threshold' ? (rule.start.hi !== undefined && rule.start.lo !== undefined ? 'outside' : rule.start.hi !== undefined ? 'above' : 'below') : '';
  const message = `TEST: ${renderMessage(rule.message, { rule: rule.name, severity: rule.severity, device, sensor, metric, value: String(value), unit: formatUnit(unitOf(metric)), condition, threshold, for: '5 min' })}`;
  return { kind: 'fired', at, rule: rule.name, device, sensor, metric, severity: rule.severity, value, message, labels: { ...rule.labels, test: 'true' }, started_at: new Date(at.getTime() - 5 * 60_000), fired_at: at };
}

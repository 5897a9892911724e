import { isName } from '../shared/contract.js';
import { durationField, parseNamedList, type Parsed } from '../shared/parse-helpers.js';
import { parseSelector, type Selector } from '../shared/selector.js';
export { selects } from '../shared/selector.js';

/**
 * The rule language of `alerts.rules` in the configuration file, parsed and checked at load with every
 * problem named (`rule 2 ("attic-hot"): above: must be a number`). Pure: a value or problems, never
 * an exception.
 */

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type { Selector } from '../shared/selector.js';

interface RuleBase {
  name: string;
  select: Selector;
  severity: Severity;
  labels: Readonly<Record<string, string>>;
  /** Names of the routes this rule's notifications take; all routes when absent. */
  routes?: string[];
  /**
   * Template with the PLACEHOLDERS, e.g.
   * {{device}} {{metric}} {{value}}{{unit}} {{condition}} {{threshold}}{{unit}} for {{for}}.
   */
  message: string;
}

export interface ThresholdRule extends RuleBase {
  type: 'threshold';
  /** Where the alert starts: value > hi or value < lo (one of them may be absent). */
  start: { lo?: number; hi?: number };
  /** Where it ends (hysteresis): value <= hi and value >= lo of this; equal to start without `clear`. */
  clear: { lo?: number; hi?: number };
  forMs: number;
  keepFiringForMs: number;
}

export interface StaleRule extends RuleBase {
  type: 'stale';
  afterMs: number;
  /** After the worker starts, no stale alert for this long: series it has not heard from yet are not dead. */
  graceMs: number;
}

export interface OfflineRule extends RuleBase {
  type: 'offline';
  forMs: number;
}

export interface SensorHealthRule extends RuleBase {
  type: 'sensorHealth';
  /** Fires when failures / attempts since the last diag exceed this (0..1). */
  maxFailureRate?: number;
  /** Fires when a sensor has had no successful read for this long. */
  noSuccessForMs?: number;
}

/** The sides a threshold rule's start lies on: above `above`, below `below`, outside `[low, high]`. */
export const THRESHOLD_CONDITIONS = ['above', 'below', 'outside'] as const;
export type ThresholdCondition = (typeof THRESHOLD_CONDITIONS)[number];

/** Which side a start threshold lies on: both bounds outside, only hi above, only lo below. */
export function thresholdCondition(start: ThresholdRule['start']): ThresholdCondition {
  if (start.lo !== undefined && start.hi !== undefined) return 'outside';
  return start.hi !== undefined ? 'above' : 'below';
}

export type Rule = ThresholdRule | StaleRule | OfflineRule | SensorHealthRule;
export type RuleType = Rule['type'];

export const PLACEHOLDERS = [
  'device',
  'sensor',
  'metric',
  'value',
  'unit',
  'condition',
  'threshold',
  'for',
  'rule',
  'severity',
] as const;
const LEVELS: Record<RuleType, number> = { threshold: 3, stale: 3, offline: 1, sensorHealth: 2 };
const SELECT_HELP: Record<RuleType, string> = {
  threshold: 'device/sensor/metric',
  stale: 'device/sensor/metric',
  offline: 'device',
  sensorHealth: 'device/sensor',
};
/** The built-in wording of a firing; a resolution is worded by alerts/words.ts. */
export const DEFAULT_MESSAGES: Record<RuleType, string> = {
  threshold: '{{device}}/{{sensor}} {{metric}} {{value}}{{unit}} {{condition}} {{threshold}}{{unit}} for {{for}}',
  stale: '{{device}}/{{sensor}} {{metric}}: no reading for {{for}}',
  offline: '{{device}} is offline',
  sensorHealth: '{{device}}/{{sensor}}: {{value}}',
};
const KEYS: Record<RuleType, string[]> = {
  threshold: ['above', 'below', 'outside', 'clear', 'for', 'keepFiringFor'],
  stale: ['after', 'grace'],
  offline: ['for'],
  sensorHealth: ['maxFailureRate', 'noSuccessFor'],
};
const COMMON_KEYS = ['name', 'type', 'select', 'severity', 'labels', 'message', 'routes'];

export type { Parsed } from '../shared/parse-helpers.js';

export function parseRules(raw: unknown): Parsed<Rule[]> {
  return parseNamedList(raw, 'alerts.rules', 'rule', parseRule);
}

function parseRule(item: unknown, problems: string[]): Rule | null {
  if (!item || typeof item !== 'object' || Array.isArray(item)) {
    problems.push('must be an object with name, type and select');
    return null;
  }
  const r = item as Record<string, unknown>;
  const type = r.type as RuleType;
  if (!Object.hasOwn(LEVELS, String(type))) {
    problems.push(
      `type: must be one of threshold, stale, offline, sensorHealth (was ${JSON.stringify(r.type)?.slice(0, 40)})`,
    );
    return null;
  }
  for (const key of Object.keys(r)) {
    if (!COMMON_KEYS.includes(key) && !KEYS[type].includes(key))
      problems.push(
        `${key.slice(0, 40)}: not a setting of a ${type} rule (it has ${[...COMMON_KEYS, ...KEYS[type]].join(', ')})`,
      );
  }
  if (!isName(r.name)) problems.push('name: must be 1 to 64 letters, digits, - or _ (it is part of MQTT topics)');
  const name = isName(r.name) ? r.name : '';
  const select = parseSelector(r.select, LEVELS[type], SELECT_HELP[type], problems);
  const isSeverity = (SEVERITIES as readonly unknown[]).includes(r.severity);
  if (r.severity !== undefined && !isSeverity) problems.push(`severity: must be one of ${SEVERITIES.join(', ')}`);
  const severity = isSeverity ? (r.severity as Severity) : 'warning';
  const labels = parseLabels(r.labels, problems);
  const message = r.message === undefined ? DEFAULT_MESSAGES[type] : parseTemplate(r.message, problems);
  const duration = <F extends number | undefined>(key: string, fallback: F) =>
    durationField(r, key, fallback, problems);
  const routes = parseRouteNames(r.routes, problems);
  const base = { name, select, severity, labels, message, ...(routes ? { routes } : {}) };
  switch (type) {
    case 'threshold': {
      const bounds = parseThreshold(r, problems);
      // Every problem is named, so the durations are read even when the bounds are wrong.
      const timing = { forMs: duration('for', 0), keepFiringForMs: duration('keepFiringFor', 0) };
      return bounds && { ...base, type, ...bounds, ...timing };
    }
    case 'stale': {
      if (r.after === undefined) problems.push('after: required: how long without a reading, such as 15m');
      const afterMs = duration('after', 0);
      return { ...base, type, afterMs, graceMs: duration('grace', afterMs) };
    }
    case 'offline':
      return { ...base, type, forMs: duration('for', 0) };
    case 'sensorHealth': {
      const rate = r.maxFailureRate;
      if (rate !== undefined && (typeof rate !== 'number' || !(rate >= 0 && rate < 1)))
        problems.push('maxFailureRate: must be a number from 0 to below 1 (0.5: half the reads failed)');
      const noSuccessForMs = duration('noSuccessFor', undefined);
      if (rate === undefined && noSuccessForMs === undefined)
        problems.push('needs maxFailureRate, noSuccessFor, or both');
      return { ...base, type, maxFailureRate: typeof rate === 'number' ? rate : undefined, noSuccessForMs };
    }
  }
}

/** The routes a rule names; undefined (all routes) when absent. */
function parseRouteNames(raw: unknown, problems: string[]): string[] | undefined {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw) && raw.length > 0 && raw.every(isName)) return raw;
  problems.push('routes: must be a list of route names');
  return undefined;
}

function parseLabels(raw: unknown, problems: string[]): Record<string, string> {
  if (raw === undefined) return {};
  const ok =
    raw !== null &&
    typeof raw === 'object' &&
    !Array.isArray(raw) &&
    Object.entries(raw).every(([k, v]) => isName(k) && typeof v === 'string' && v.length <= 200);
  if (!ok) problems.push('labels: must be an object of names (letters, digits, - or _) to strings');
  return ok ? { ...(raw as Record<string, string>) } : {};
}

function parseTemplate(raw: unknown, problems: string[]): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 500) {
    problems.push('message: must be text of 1 to 500 characters');
    return '';
  }
  for (const [, name] of raw.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(name!))
      problems.push(
        `message: {{${name!.slice(0, 30)}}} is not one of ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
      );
  }
  return raw;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isPair = (v: unknown): v is [number, number] =>
  Array.isArray(v) && v.length === 2 && isNumber(v[0]) && isNumber(v[1]) && v[0] < v[1];

function parseThreshold(r: Record<string, unknown>, problems: string[]): Pick<ThresholdRule, 'start' | 'clear'> | null {
  const given = THRESHOLD_CONDITIONS.filter((k) => r[k] !== undefined);
  if (given.length !== 1) {
    problems.push(`needs exactly one of above, below or outside (has ${given.length ? given.join(', ') : 'none'})`);
    return null;
  }
  const key = given[0]!;
  const value = r[key];
  if (key === 'outside' ? !isPair(value) : !isNumber(value)) {
    problems.push(key === 'outside' ? 'outside: must be [low, high] with low < high' : `${key}: must be a number`);
    return null;
  }
  const start =
    key === 'above'
      ? { hi: value as number }
      : key === 'below'
        ? { lo: value as number }
        : { lo: (value as number[])[0], hi: (value as number[])[1] };
  if (r.clear === undefined) return { start, clear: start };
  const c = r.clear;
  // The clear threshold sits on the safe side of the start threshold, so the value must come back past it.
  if (key === 'above' && isNumber(c) && c <= start.hi!) return { start, clear: { hi: c } };
  if (key === 'below' && isNumber(c) && c >= start.lo!) return { start, clear: { lo: c } };
  if (key === 'outside' && isPair(c) && c[0] >= start.lo! && c[1] <= start.hi!)
    return { start, clear: { lo: c[0], hi: c[1] } };
  problems.push(
    key === 'above'
      ? `clear: must be a number at or below above (${start.hi})`
      : key === 'below'
        ? `clear: must be a number at or above below (${start.lo})`
        : `clear: must be [low, high] inside outside ([${start.lo}, ${start.hi}])`,
  );
  return null;
}

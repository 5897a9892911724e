import { formatDuration } from '../shared/duration.js';
import { formatInstant } from '../shared/time-zone.js';
import { inReaderUnits, type TemperatureUnit } from '../shared/units.js';
import { formatNumber } from '../shared/value-format.js';
import { isCondition, ruleTypeOf, type Condition } from './facts.js';
import { formatUnit, renderMessage, type MessageValues } from './message.js';
import { DEFAULT_MESSAGES, THRESHOLD_CONDITIONS } from './rules.js';

/**
 * The one place an alert event becomes words (issue 24, item 5), for a reader with its own temperature
 * unit and time zone: a route, a report, the dashboard, `pimonitor alerts list`. From the event's facts
 * (alerts/facts.ts) when it has them; a row written before they were stored is said by its message.
 * Pure, and total: any row, however odd, gives words, never an exception.
 *
 *   fired:        attic/dht22 temperature 31.2 °C above 30 °C for 5 min
 *   resolved:     attic/dht22 temperature back to 27.0 °C (below 29 °C) after 3 h 20 min
 *   past episode: attic/dht22 temperature was above 30 °C from 12:00 to 12:09
 *   rule removed: attic/dht22 temperature: resolved (rule removed) after 2 h, last 31.2 °C
 */

export interface Reader {
  temperatureUnit: TemperatureUnit;
  /** IANA name; times are said in it. */
  timeZone: string;
}

/** The units and zone events are stored in: the words of alert_events.message. */
export const STORED_UNITS: Reader = { temperatureUnit: 'C', timeZone: 'UTC' };

/** A row of alert_events as read (to_jsonb or a SELECT); the facts are null or absent in rows before version 13. */
export interface EventRow {
  kind: string;
  at: Date;
  started_at: Date;
  rule: string;
  device: string;
  sensor: string;
  metric: string;
  severity: string;
  value: number | null;
  message: string;
  reason?: string | null;
  past_episode?: boolean | null;
  condition?: string | null;
  threshold_lo?: number | null;
  threshold_hi?: number | null;
  clear_lo?: number | null;
  clear_hi?: number | null;
  unit?: string | null;
  template?: string | null;
}

/** The quantities of an event in the reader's units, for machines (webhook annotations, MQTT payloads). */
export interface Quantities {
  value: number | null;
  unit: string | null;
  condition: Condition | null;
  /** The one start threshold of above/below; low and high of outside. */
  threshold?: number;
  thresholdLow?: number;
  thresholdHigh?: number;
}

const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
/** A sensor-health value (failures / attempts) as people read it: "5 % of reads failed"; '' without one. */
const failed = (rate: number | null | undefined) =>
  finite(rate) && finite(rate * 100) ? `${Math.round(rate * 100)} % of reads failed` : '';
const isThreshold = (c: Condition) => (THRESHOLD_CONDITIONS as readonly Condition[]).includes(c);

/** What the event is about: "attic/dht22 temperature", "attic/dht22", "attic". */
export function whatOf(e: Pick<EventRow, 'device' | 'sensor' | 'metric'>): string {
  return e.metric ? `${e.device}/${e.sensor} ${e.metric}` : e.sensor ? `${e.device}/${e.sensor}` : e.device;
}

/** A stored value or threshold in the reader's units (only °C changes); null when there is none. */
function convert(e: EventRow, v: number | null | undefined, reader: Reader): number | null {
  if (!finite(v)) return null;
  const x =
    isCondition(e.condition) && isThreshold(e.condition)
      ? inReaderUnits(v, e.unit ?? null, reader.temperatureUnit).value
      : v;
  return finite(x) ? x : null;
}

const unitFor = (e: EventRow, reader: Reader) =>
  e.unit ? inReaderUnits(0, e.unit, reader.temperatureUnit).unit : null;

export function quantitiesOf(e: EventRow, reader: Reader): Quantities {
  const condition = isCondition(e.condition) ? e.condition : null;
  if (!condition) return { value: finite(e.value) ? e.value : null, unit: null, condition };
  const lo = convert(e, e.threshold_lo, reader);
  const hi = convert(e, e.threshold_hi, reader);
  const bounds =
    condition === 'outside'
      ? { ...(lo === null ? {} : { thresholdLow: lo }), ...(hi === null ? {} : { thresholdHigh: hi }) }
      : condition === 'below'
        ? lo === null
          ? {}
          : { threshold: lo }
        : hi === null
          ? {}
          : { threshold: hi };
  return { value: convert(e, e.value, reader), unit: unitFor(e, reader), condition, ...bounds };
}

/** The event in words for this reader. */
export function sentenceOf(e: EventRow, reader: Reader): string {
  const condition = isCondition(e.condition) ? e.condition : null;
  if (!condition) return legacy(e, reader);
  if (e.kind !== 'resolved')
    return renderMessage(e.template ?? DEFAULT_MESSAGES[ruleTypeOf(condition)], placeholders(e, condition, reader));
  if (e.past_episode)
    return `${whatOf(e)} ${pastTense(e, condition, reader)} ${spanOf(e.started_at, e.at, reader.timeZone)}`;
  const after = lasted(e.started_at, e.at);
  if (e.reason) {
    const last = isThreshold(condition) ? reading(e, e.value, reader) : '';
    return `${whatOf(e)}: resolved (${e.reason})${after ? ` after ${after}` : ''}${last ? `, last ${last}` : ''}`;
  }
  return `${resolution(e, condition, reader)}${after ? ` after ${after}` : ''}`;
}

/** A row without facts: its message, with what it was said in the old way. */
function legacy(e: EventRow, reader: Reader): string {
  if (e.kind !== 'resolved') return e.message;
  if (e.past_episode)
    return `past episode, ${spanOf(e.started_at, e.at, reader.timeZone).replace(/^from /, '')}: ${e.message}`;
  return e.reason ? `resolved (${e.reason}): ${e.message}` : `resolved: ${e.message}`;
}

/** "27.0 °C" in the reader's units; '' without a value. */
function reading(e: EventRow, v: number | null | undefined, reader: Reader): string {
  const x = convert(e, v, reader);
  return x === null ? '' : `${formatNumber(x)}${formatUnit(unitFor(e, reader))}`;
}

/** "30", "18 to 26": a threshold as configured, in the reader's units; '' when unknown. */
function boundNumber(
  e: EventRow,
  lo: number | null | undefined,
  hi: number | null | undefined,
  condition: Condition,
  reader: Reader,
): string {
  const l = convert(e, lo, reader);
  const h = convert(e, hi, reader);
  const setting = (n: number) => formatNumber(n, 'setting');
  if (condition === 'outside') return l !== null && h !== null ? `${setting(l)} to ${setting(h)}` : '';
  const x = condition === 'below' ? l : h;
  return x === null ? '' : setting(x);
}

/** The same with its unit: "30 °C", "18 to 26 °C". */
function bound(
  e: EventRow,
  lo: number | null | undefined,
  hi: number | null | undefined,
  condition: Condition,
  reader: Reader,
): string {
  const n = boundNumber(e, lo, hi, condition, reader);
  return n && `${n}${formatUnit(unitFor(e, reader))}`;
}

function placeholders(e: EventRow, condition: Condition, reader: Reader): MessageValues {
  const base: MessageValues = {
    rule: e.rule,
    severity: e.severity,
    device: e.device,
    sensor: e.sensor,
    metric: e.metric,
    for: lasted(e.started_at, e.at) || '0 s',
  };
  const v = finite(e.value) ? e.value : null;
  switch (condition) {
    case 'silent':
      return v === null || !finite(v * 1000)
        ? base
        : { ...base, value: formatDuration(v * 1000), for: formatDuration(v * 1000) };
    case 'failing':
      return failed(v) ? { ...base, value: failed(v) } : base;
    case 'offline':
      return base;
    default: {
      const x = convert(e, v, reader);
      const threshold = boundNumber(e, e.threshold_lo, e.threshold_hi, condition, reader);
      return {
        ...base,
        value: x === null ? '' : formatNumber(x),
        unit: formatUnit(unitFor(e, reader)),
        condition,
        threshold,
      };
    }
  }
}

/** How an alert whose condition ended says so (the duration follows). */
function resolution(e: EventRow, condition: Condition, reader: Reader): string {
  const what = whatOf(e);
  switch (condition) {
    case 'silent':
      return `${what} reporting again`;
    case 'offline':
      return `${what} back online`;
    case 'failing':
      return `${what} reading again${failed(e.value) ? ` (${failed(e.value)})` : ''}`;
    default: {
      const clear = bound(e, e.clear_lo ?? e.threshold_lo, e.clear_hi ?? e.threshold_hi, condition, reader);
      const side = condition === 'above' ? 'below' : condition === 'below' ? 'above' : 'within';
      const now = reading(e, e.value, reader);
      return `${what} back${now ? ` to ${now}` : ''}${clear ? ` (${side} ${clear})` : ''}`;
    }
  }
}

/** "was above 30 °C", "was offline": what held through a past episode. */
function pastTense(e: EventRow, condition: Condition, reader: Reader): string {
  switch (condition) {
    case 'silent':
      return 'sent no reading';
    case 'offline':
      return 'was offline';
    case 'failing':
      return 'was failing';
    default: {
      const start = bound(e, e.threshold_lo, e.threshold_hi, condition, reader);
      return `was ${condition}${start ? ` ${start}` : ''}`;
    }
  }
}

/** How long from `from` to `to`, as "3 h 20 min"; '' when either is not a time or the span is negative. */
function lasted(from: Date, to: Date): string {
  const ms = timeOf(to) - timeOf(from);
  return Number.isFinite(ms) && ms >= 0 ? formatDuration(ms) : '';
}

const timeOf = (d: unknown) => (d instanceof Date ? d.getTime() : NaN);

const clocks = new Map<string, { clock: Intl.DateTimeFormat; day: Intl.DateTimeFormat }>();
function formattersOf(tz: string) {
  let f = clocks.get(tz);
  if (!f) {
    const zone = { timeZone: tz };
    f = {
      clock: new Intl.DateTimeFormat('en-GB', { ...zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
      day: new Intl.DateTimeFormat('en-GB', { ...zone, day: 'numeric', month: 'short' }),
    };
    clocks.set(tz, f);
  }
  return f;
}

/** "from 12:00 to 12:09" in `tz`; with the days when they differ ("from 5 Dec 23:50 to 6 Dec 00:10"). */
export function spanOf(from: Date, to: Date, tz: string): string {
  const a = timeOf(from);
  const b = timeOf(to);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return 'at an unknown time';
  const f = formattersOf(tz);
  const sameDay = f.day.format(a) === f.day.format(b) && Math.abs(b - a) < 86_400_000;
  const at = (t: number) => (sameDay ? f.clock.format(t) : `${f.day.format(t)} ${f.clock.format(t)}`);
  return `from ${at(a)} to ${at(b)}`;
}

/** An instant in the reader's zone with its offset (2026-12-06T12:00:00+01:00); "unknown" when it is not one. */
export function instantOf(d: Date, reader: Reader): string {
  return Number.isFinite(timeOf(d)) ? formatInstant(d, reader.timeZone) : 'unknown';
}

/**
 * The topic and payload contract between sensor nodes, the broker's subscribers and ingest.
 * Every component builds and parses topics and payloads here, and nowhere else.
 *
 *   home/<device>/<sensor>   a reading: a JSON object, each numeric field one metric, optional `ts`
 *   home/<device>/status     `online` | `offline`, retained (a node's Last Will is `offline`)
 *   home/<device>/<sensor>/diag   a sensor's read statistics, retained; not a reading (ingest's
 *                            home/+/+ does not match it)
 *
 * The functions are pure: they return a value or a reason a person can act on; they never throw or log.
 */

import { DEFAULT_LIMITS, type ValidationLimits } from './validation-limits.js';
import { describeType, invalid, type Invalid, type RejectionCode, type Result } from './rejection.js';
import { EARLIEST_TIMESTAMP_MS, instantProblem, LATEST_TIMESTAMP_MS, parseIsoTime } from './timestamp.js';

export { EARLIEST_TIMESTAMP_MS, LATEST_TIMESTAMP_MS } from './timestamp.js';

export const TOPIC_ROOT = 'home';
/** What ingest subscribes to: every reading and every status message, nothing deeper. */
export const INGEST_SUBSCRIPTION = `${TOPIC_ROOT}/+/+`;
export const STATUS_LEVEL = 'status';
export const DEVICE_STATUSES = ['online', 'offline'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/** The characters of a name, as the inside of a RegExp character class: letters, digits, _ and -. */
export const NAME_CHARACTERS = 'A-Za-z0-9_-';
/** The longest a name may be. */
export const MAX_NAME_LENGTH = 64;
/**
 * A name: of a device, a sensor, a rule, a route, a report, a source, a label, or one topic level of
 * pimonitor's own. The one definition; every other check uses NAME_PATTERN or isName.
 */
export const NAME_PATTERN = new RegExp(`^[${NAME_CHARACTERS}]{1,${MAX_NAME_LENGTH}}$`);
export const isName = (value: unknown): value is string => typeof value === 'string' && NAME_PATTERN.test(value);
/** A metric's name: a letter, then letters, digits or _ (it becomes a column of exports and a JSON key). */
export const METRIC_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** One payload may carry this many metrics; more is a misbehaving sender, not a sensor. */
export const MAX_METRICS_PER_READING = 64;

/** Units of the metrics pimonitor knows, stored with each series: one table, in shared/units.ts. */
export { METRIC_UNITS, unitOf } from './units.js';

/** What a reading is checked against, and why a message is refused: their own modules, part of the contract. */
export { DEFAULT_LIMITS, DEFAULT_METRIC_RANGES, MAX_FUTURE_SKEW_MS } from './validation-limits.js';
export type { Range, ValidationLimits } from './validation-limits.js';
export { MAX_REASON_CHARS, REJECTION_CODES, type Invalid, type RejectionCode, type Result } from './rejection.js';

export type ParsedTopic = { kind: 'reading'; device: string; sensor: string } | { kind: 'status'; device: string };

export interface Metric {
  metric: string;
  value: number;
}

export interface Reading {
  device: string;
  sensor: string;
  /** When the reading was taken: the payload's `ts`, or the receive time without one. */
  ts: Date;
  metrics: Metric[];
}


export function readingTopic(device: string, sensor: string): string {
  return `${TOPIC_ROOT}/${device}/${sensor}`;
}

export function diagTopic(device: string, sensor: string): string {
  return `${readingTopic(device, sensor)}/diag`;
}

/** Root of alert messages: pimonitor/alerts/<rule>/<device>[/<sensor>[/<metric>]], retained while firing. */
export const ALERT_TOPIC_ROOT = 'pimonitor/alerts';

export function alertTopic(rule: string, device: string, sensor?: string, metric?: string): string {
  return [ALERT_TOPIC_ROOT, rule, device, sensor, metric].filter(Boolean).join('/');
}

export function statusTopic(device: string): string {
  return `${TOPIC_ROOT}/${device}/${STATUS_LEVEL}`;
}

/** Why `name` cannot be a device or sensor name, or null when it can. */
export function nameProblem(what: 'device' | 'sensor', name: string): string | null {
  if (NAME_PATTERN.test(name)) return null;
  const shown = name.length > 80 ? `${name.slice(0, 80)}…` : name;
  return `${what} name "${shown}" must be 1-64 characters of A-Z a-z 0-9 _ -`;
}

export function parseTopic(topic: string): Result<{ topic: ParsedTopic }> {
  const levels = topic.split('/');
  if (levels[0] !== TOPIC_ROOT) return invalid('topic', `topic ${topic} does not start with ${TOPIC_ROOT}/`);
  if (levels.length > 3)
    return invalid('topic', `topic ${topic} has too many levels (expected ${TOPIC_ROOT}/<device>/<sensor>)`);
  if (levels.length < 3)
    return invalid('topic', `topic ${topic} has too few levels (expected ${TOPIC_ROOT}/<device>/<sensor>)`);
  const [, device = '', sensor = ''] = levels;
  const problem = nameProblem('device', device) ?? nameProblem('sensor', sensor);
  if (problem) return invalid('topic', problem);
  if (sensor === STATUS_LEVEL) return { ok: true, topic: { kind: 'status', device } };
  return { ok: true, topic: { kind: 'reading', device, sensor } };
}

/** The device and sensor of home/<device>/<sensor>/diag, or null for any other topic. */
export function parseDiagTopic(topic: string): { device: string; sensor: string } | null {
  const levels = topic.split('/');
  if (levels.length !== 4 || levels[0] !== TOPIC_ROOT || levels[3] !== 'diag') return null;
  const [, device = '', sensor = ''] = levels;
  return (nameProblem('device', device) ?? nameProblem('sensor', sensor)) ? null : { device, sensor };
}

/** A sensor's read counters from its diag message (cumulative since the node started). */
export interface SensorDiagCounts {
  attempts: number;
  readings: number;
}

export function parseDiag(payload: Buffer): Result<{ diag: SensorDiagCounts }> {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return invalid('json', 'diag payload is not JSON');
  }
  const { attempts, readings } = (body ?? {}) as Record<string, unknown>;
  const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!count(attempts) || !count(readings) || readings > attempts)
    return invalid('shape', 'diag payload needs whole numbers attempts >= readings >= 0');
  return { ok: true, diag: { attempts, readings } };
}

export function parseStatus(payload: Buffer): Result<{ status: DeviceStatus }> {
  const text = payload.toString('utf8').trim();
  const status = DEVICE_STATUSES.find((s) => s === text);
  if (!status)
    return invalid(
      'status',
      `status payload ${JSON.stringify(text.slice(0, 40))} is not one of ${DEVICE_STATUSES.join(', ')}`,
    );
  return { ok: true, status };
}

/** Parses a `ts` field: ISO 8601 with an offset (a local time without one is ambiguous), or epoch milliseconds. */
export function parseTimestamp(raw: unknown): Result<{ ts: Date }> {
  let ms: number;
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) return invalid('timestamp', `ts ${raw} is not a whole number of epoch milliseconds`);
    // Bound the number before any Date is made of it: new Date(1e300).toISOString() throws.
    if (raw > LATEST_TIMESTAMP_MS)
      return invalid('timestamp', `ts ${raw} is after the year 9999: not epoch milliseconds`);
    // Epoch seconds are the commonest mistake; say so rather than "before 2000".
    if (raw >= EARLIEST_TIMESTAMP_MS / 1000 && raw < 1e11)
      return invalid('timestamp', `ts ${raw} looks like epoch seconds; send epoch milliseconds or ISO 8601`);
    ms = raw;
  } else if (typeof raw === 'string') {
    // shared/timestamp.ts: Date.parse would roll 2026-02-31 over to March.
    const iso = parseIsoTime(raw);
    if (iso.ok ? iso.instantMs === null : iso.problem === 'format')
      return invalid(
        'timestamp',
        `ts "${raw.slice(0, 40)}" is not ISO 8601 with an offset (e.g. 2026-01-31T12:00:00Z)`,
      );
    if (!iso.ok || iso.instantMs === null) return invalid('timestamp', `ts "${raw}" is not a valid date`);
    ms = iso.instantMs;
  } else {
    return invalid('timestamp', `ts must be an ISO 8601 string or epoch milliseconds, not ${describeType(raw)}`);
  }
  const problem = instantProblem(ms, 'ts', String(raw));
  return problem ? invalid(problem.code, problem.reason) : { ok: true, ts: new Date(ms) };
}

/**
 * What every message is checked for before its payload is read: a plausible receive time, a payload
 * within the limit.
 */
export function receiptProblem(payloadBytes: number, receivedAt: Date, limits: ValidationLimits): Invalid | null {
  const receivedMs = receivedAt.getTime();
  if (!(receivedMs >= EARLIEST_TIMESTAMP_MS && receivedMs <= LATEST_TIMESTAMP_MS)) {
    return invalid(
      'clock',
      `the receive time ${Number.isFinite(receivedMs) ? receivedAt.toISOString() : 'is invalid and'} ` +
        'is not a plausible time: ' +
        "the receiving machine's clock is not set",
    );
  }
  if (payloadBytes > limits.maxPayloadBytes)
    return invalid('size', `payload is ${payloadBytes} bytes, larger than the limit of ${limits.maxPayloadBytes}`);
  return null;
}

/**
 * Validates a reading's payload. `receivedAt` stands in for a missing `ts` and anchors the
 * future-skew check, so the clock is the caller's to inject.
 */
export function parseReading(
  device: string,
  sensor: string,
  payload: Buffer,
  receivedAt: Date,
  limits: ValidationLimits = DEFAULT_LIMITS,
): Result<{ reading: Reading }> {
  const problem = receiptProblem(payload.length, receivedAt, limits);
  if (problem) return problem;
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return invalid('json', payload.length === 0 ? 'payload is empty' : 'payload is not JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return invalid('shape', `payload is ${describeType(body)}, expected a JSON object of metrics`);
  }
  let ts = receivedAt;
  const fields: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(body)) {
    if (key !== 'ts') {
      fields.push([key, value]);
      continue;
    }
    const parsed = parseTimestamp(value);
    if (!parsed.ok) return parsed;
    ts = parsed.ts;
  }
  return checkReading(device, sensor, ts, fields, receivedAt, limits);
}

/**
 * The checks every reading passes, whoever sent it (a pimonitor node or a device of another kind mapped
 * by shared/sources): metric names and values, physical ranges, how many, a clock not set and a clock
 * that runs ahead. `ts` is when it was taken; `receivedAt` anchors the future-skew check. Device and
 * sensor names are the caller's to check (parseTopic does for home/…; shared/sources for the others).
 */
export function checkReading(
  device: string,
  sensor: string,
  ts: Date,
  fields: ReadonlyArray<readonly [string, unknown]>,
  receivedAt: Date,
  limits: ValidationLimits = DEFAULT_LIMITS,
): Result<{ reading: Reading }> {
  const metrics: Metric[] = [];
  for (const [key, value] of fields) {
    const problem = metricProblem(key, value, limits.ranges);
    if (problem) return invalid(problem.code, problem.reason);
    metrics.push({ metric: key, value: value as number });
  }
  if (metrics.length === 0) return invalid('shape', 'payload has no numeric metrics');
  if (metrics.length > MAX_METRICS_PER_READING) {
    return invalid('size', `payload has ${metrics.length} metrics, more than the limit of ${MAX_METRICS_PER_READING}`);
  }
  const when = instantProblem(ts.getTime(), 'ts', String(ts.getTime()));
  if (when) return invalid(when.code, when.reason);
  const skewMs = ts.getTime() - receivedAt.getTime();
  if (skewMs > limits.maxFutureSkewMs) {
    return invalid(
      'clock',
      `ts ${ts.toISOString()} is ${Math.round(skewMs / 1000)} s in the future ` +
        `(limit ${limits.maxFutureSkewMs / 1000} s): the sender's clock is wrong`,
    );
  }
  return { ok: true, reading: { device, sensor, ts, metrics } };
}

function metricProblem(name: string, value: unknown, ranges: ValidationLimits['ranges']): Invalid | null {
  if (!METRIC_PATTERN.test(name)) {
    return invalid(
      'metric',
      `metric name "${name.slice(0, 80)}" must start with a letter and be 1-64 characters of A-Z a-z 0-9 _`,
    );
  }
  if (typeof value !== 'number')
    return invalid('metric', `metric ${name} is ${describeType(value)}, expected a number`);
  if (!Number.isFinite(value)) return invalid('metric', `metric ${name} is not a finite number`);
  const range = Object.hasOwn(ranges, name) ? ranges[name] : undefined;
  if (range && (value < range[0] || value > range[1])) {
    return invalid('range', `${name} ${value} out of range ${range[0]}..${range[1]}`);
  }
  return null;
}


/** The JSON payload a node publishes for one reading. */
export function encodeReading(metrics: Record<string, number>, takenAt: Date): Buffer {
  return Buffer.from(JSON.stringify({ ...metrics, ts: takenAt.toISOString() }));
}

import convict from 'convict';
import { alertTopic, diagTopic, INGEST_SUBSCRIPTION, nameProblem, readingTopic } from '../shared/contract.js';
import { PRESET_NAMES } from '../shared/sources/presets.js';
import { parseSources } from '../shared/sources/spec.js';

/**
 * Bounded whole-number settings (issue 23, item 6). A few named formats (`duration-ms`, `bytes`, `count`,
 * `days`, `port`), each key giving its own `bounds` beside its `format`: convict hands the key's schema
 * to the format's validate (its README, "Custom format for array items"), and coerces by format name,
 * so a value from the environment is a number only when all of it is one ("1e3", "12abc" and "abc"
 * stay as given and are named so; convict's own parseInt made them 1, 12 and null).
 */

/**
 * setTimeout and setInterval take a signed 32-bit delay: a longer one fires after 1 ms (Node's
 * TimeoutOverflowWarning).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
export const TIMER_LIMIT = 'Node\'s timers cannot wait longer (a longer delay fires at once)';
/** TCP and UDP port numbers are 16 bits. */
export const MAX_PORT = 65_535;
/** The largest MQTT packet: its Remaining Length field ends at 268,435,455 (MQTT-2.2.3, MQTT 5 section 2.1.4). */
export const MQTT_MAX_PACKET_BYTES = 268_435_455;
/** MQTT packet identifiers are 16 bits: no client can have more messages in flight (MQTT-2.3.1). */
export const MQTT_MAX_PACKET_IDS = 65_535;
/** A topic is at most 65,535 bytes (MQTT-1.5.3); its levels are separated by one byte each. */
export const MQTT_MAX_TOPIC_BYTES = 65_535;
/** PostgreSQL's max_connections is 100 unless its administrator raised it. */
export const POSTGRES_DEFAULT_MAX_CONNECTIONS = 100;
/** Linux lets a process open at most this many files, sockets included (fs.nr_open). */
export const LINUX_MAX_OPEN_FILES = 1_048_576;
/** A spool or outbox is a buffer for an outage, not an archive: no Pi has a bigger disk. */
export const MAX_BUFFER_BYTES = 2 ** 40;
/** A spool segment is read whole into memory when ingest starts (shared/spool/spool.ts). */
export const MAX_SPOOL_SEGMENT_BYTES = 256 * 2 ** 20;
/** Retention and compaction ages: a century; 0 already means forever. */
export const MAX_DAYS = 36_500;
/** No server answers within less: every attempt would time out. */
export const MIN_TIMEOUT_MS = 100;
export const TOO_SHORT_TIMEOUT = 'no server answers that fast: every attempt would time out';

/** Topics and filters pimonitor itself publishes or subscribes to, with the presets' default prefixes. */
export function projectTopics(): string[] {
  const presets = parseSources(PRESET_NAMES.join(','), 'UTC');
  return [
    INGEST_SUBSCRIPTION,
    readingTopic('+', '+'),
    diagTopic('+', '+'),
    alertTopic('rule', 'device', 'sensor', 'metric'),
    ...(presets.ok ? presets.value.flatMap((s) => s.filters) : []),
  ];
}

export const topicLevels = (topic: string) => topic.split('/').length;

/** The topic of pimonitor's with the most levels: a broker allowing fewer refuses its own traffic. */
export const DEEPEST_TOPIC = projectTopics().reduce((a, b) => (topicLevels(b) > topicLevels(a) ? b : a));
export const MIN_TOPIC_LEVELS = topicLevels(DEEPEST_TOPIC);
/** A topic of at most 65,535 bytes has at most this many levels (one byte between each two). */
export const MAX_TOPIC_LEVELS = Math.floor(MQTT_MAX_TOPIC_BYTES / 2) + 1;

/** The longest device or sensor name the contract accepts (shared/contract.ts nameProblem). */
function longestName(): string {
  let name = 'x';
  while (name.length < 1024 && !nameProblem('device', `${name}x`)) name += 'x';
  return name;
}

/** The longest topic pimonitor's own nodes publish: a diag topic with the longest names. */
export const MIN_TOPIC_LENGTH = diagTopic(longestName(), longestName()).length;

export interface Bounds {
  min: number;
  max: number;
  /** Why a smaller value cannot work, said after the refusal. */
  belowMin?: string;
  /** Why a larger value cannot work. */
  aboveMax?: string;
  /** One value outside min..max with its own meaning: 0 to turn a listener off, -1 for no LED. */
  or?: { value: number; means: string };
}

interface Kind {
  /** What the value must be, after "is not". */
  noun: string;
  /** Said after a bound, e.g. "ms". */
  unit: string;
  /** A bound as a person reads it, e.g. "24.8 days", or undefined where the number says it. */
  human?: (n: number) => string | undefined;
  /** Used when a key gives no bounds of its own. */
  defaults: Bounds;
}

const BYTE_UNITS: Array<[number, string]> = [[2 ** 40, 'TiB'], [2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']];

function humanBytes(n: number): string | undefined {
  const found = BYTE_UNITS.find(([size]) => n >= size);
  return found && approximately(n / found[0], found[1]);
}

function approximately(amount: number, unit: string): string {
  if (amount === 1 && unit === 'days') return '1 day';
  return Number.isInteger(amount) ? `${amount} ${unit}` : `about ${Number(amount.toFixed(1))} ${unit}`;
}

function humanMs(n: number): string | undefined {
  if (n < 1000) return undefined;
  for (const [size, unit] of [[86_400_000, 'days'], [3_600_000, 'h'], [60_000, 'min'], [1000, 's']] as const) {
    if (n >= size) return approximately(n / size, unit);
  }
  return undefined;
}

export const BOUNDED_FORMATS = {
  'duration-ms': {
    noun: 'a whole number of milliseconds',
    unit: 'ms',
    human: humanMs,
    defaults: { min: 0, max: MAX_TIMER_MS, aboveMax: TIMER_LIMIT },
  },
  bytes: {
    noun: 'a whole number of bytes',
    unit: 'bytes',
    human: humanBytes,
    defaults: { min: 0, max: MAX_BUFFER_BYTES },
  },
  count: { noun: 'a whole number', unit: '', defaults: { min: 0, max: Number.MAX_SAFE_INTEGER } },
  days: {
    noun: 'a whole number of days',
    unit: 'days',
    defaults: { min: 0, max: MAX_DAYS, aboveMax: 'more than a century; 0 means forever' },
  },
  port: { noun: 'a port number', unit: '', defaults: { min: 0, max: MAX_PORT, aboveMax: 'port numbers are 16 bits' } },
} satisfies Record<string, Kind>;
export type BoundedFormat = keyof typeof BOUNDED_FORMATS;
export const isBoundedFormat = (format: unknown): format is BoundedFormat =>
  typeof format === 'string' && Object.hasOwn(BOUNDED_FORMATS, format);

const WHOLE_NUMBER = /^-?\d+$/;

/** A string from the environment or a file becomes a number only when all of it is one. */
function coerceWhole(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (!WHOLE_NUMBER.test(trimmed)) return value;
  const n = Number(trimmed);
  // Past 2^53 a number is no longer the one given: the string is kept, and named as it was.
  return Number.isSafeInteger(n) ? n : value;
}

/** Whether `value` is allowed by `bounds`. */
export function withinBounds(value: unknown, bounds: Bounds): boolean {
  if (!Number.isSafeInteger(value)) return false;
  return ((value as number) >= bounds.min && (value as number) <= bounds.max) || value === bounds.or?.value;
}

/** The range in words: "1-65535, or 0 to turn it off". */
export function rangeText(format: BoundedFormat, bounds: Bounds): string {
  const { unit } = BOUNDED_FORMATS[format];
  const or = bounds.or ? `, or ${bounds.or.value} ${bounds.or.means}` : '';
  return `${bounds.min}-${bounds.max}${unit && unit !== 'ms' ? ` ${unit}` : ''}${or}`;
}

/** A bound or value with its unit, and its size in words where that helps: "2147483647 ms (about 24.9 days)". */
export function bound(format: BoundedFormat, n: number): string {
  const kind: Kind = BOUNDED_FORMATS[format];
  const human = kind.human?.(n);
  return `${n}${kind.unit ? ` ${kind.unit}` : ''}${human ? ` (${human})` : ''}`;
}

/** Why `value` is refused, opening with the value as given (JSON, as convict shows it), or null. */
export function boundsProblem(format: BoundedFormat, bounds: Bounds, value: unknown): string | null {
  if (withinBounds(value, bounds)) return null;
  const shown = JSON.stringify(value) ?? String(value);
  const looksWhole = typeof value === 'number'
    ? Number.isInteger(value)
    : typeof value === 'string' && WHOLE_NUMBER.test(value.trim());
  if (!looksWhole) return `${shown} is not ${BOUNDED_FORMATS[format].noun} (${rangeText(format, bounds)})`;
  const n = Number(typeof value === 'string' ? value.trim() : value);
  const allowed = bounds.or ? ` (allowed: ${rangeText(format, bounds)})` : '';
  const belowMin = bounds.belowMin ?? (bounds.min === 0 && !bounds.or ? 'it cannot be negative' : undefined);
  if (n < bounds.min) {
    return `${shown} is less than ${bound(format, bounds.min)}${belowMin ? `: ${belowMin}` : ''}${allowed}`;
  }
  return `${shown} is more than ${bound(format, bounds.max)}${bounds.aboveMax ? `: ${bounds.aboveMax}` : ''}`;
}

/** The bounds a key gives, over its format's defaults. */
export function boundsOf(format: BoundedFormat, spec: { bounds?: Partial<Bounds> } | undefined): Bounds {
  return { ...BOUNDED_FORMATS[format].defaults, ...spec?.bounds };
}

export function registerBoundedFormats(): void {
  for (const format of Object.keys(BOUNDED_FORMATS) as BoundedFormat[]) {
    convict.addFormat({
      name: format,
      coerce: coerceWhole,
      // convict hands each key's schema to validate: its `bounds` narrow the format's defaults.
      validate(value: unknown, spec: convict.SchemaObj) {
        const problem = boundsProblem(format, boundsOf(format, spec as { bounds?: Partial<Bounds> }), value);
        if (problem) throw new Error(problem);
      },
    });
  }
}

/** Bounds several keys share. */
export const PORT_OR_OFF: Bounds = {
  min: 1, max: MAX_PORT, aboveMax: 'port numbers are 16 bits', or: { value: 0, means: 'to turn it off' },
};
export const PORT_OR_ANY: Bounds = {
  min: 1, max: MAX_PORT, aboveMax: 'port numbers are 16 bits', or: { value: 0, means: 'to pick a free one' },
};
export const TIMEOUT_MS: Bounds = {
  min: MIN_TIMEOUT_MS, belowMin: TOO_SHORT_TIMEOUT, max: MAX_TIMER_MS, aboveMax: TIMER_LIMIT,
};
/** Notifications and reports back off up to 30 minutes between attempts (alerts/notifier.ts, reports/scheduler.ts). */
export const ATTEMPTS: Bounds = {
  min: 1,
  belowMin: 'it would never be sent',
  max: 1000,
  aboveMax: 'at up to 30 minutes between attempts, 1,000 already take three weeks',
};
export const DAYS: Bounds = { min: 0, max: MAX_DAYS, aboveMax: 'that is more than a century; 0 means forever' };

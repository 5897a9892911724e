import convict from 'convict';
import { hostname } from 'node:os';
import { isName, MAX_NAME_LENGTH, NAME_CHARACTERS, nameProblem, type Range } from '../shared/contract.js';
import { parseBrokerList } from '../shared/mqtt-connect.js';
import { parsePartition } from '../shared/partition.js';
import { isTimeZone } from '../shared/time-zone.js';
import { parseSources } from '../shared/sources/spec.js';
import { registerBoundedFormats } from './bounds.js';

/** A named format: what it accepts, in words (for the configuration reference), and its convict check. */
interface NamedFormat {
  name: string;
  accepts: string;
  coerce?: (value: unknown) => unknown;
  validate(value: unknown): void;
}

/** The named formats of the schemas, besides the bounded numbers of ./bounds.ts. */
export const NAMED_FORMATS: readonly NamedFormat[] = [
  {
    name: 'url-or-empty',
    accepts: 'empty (the embedded database), or a `postgres://user:password@host:port/database` URL',
    validate(value: unknown) {
      if (value === '') return;
      if (typeof value !== 'string' || !/^postgres(ql)?:\/\//.test(value)) {
        throw new Error('must be empty (embedded database) or a postgres://user:password@host:port/database URL');
      }
      new URL(value);
    },
  },
  {
    name: 'mqtt-url',
    accepts: 'an MQTT URL such as `mqtt://127.0.0.1:1883`, or several comma-separated (a JSON list in a file)',
    validate(value: unknown) {
      const list = parseBrokerList(value);
      if (!list.ok) throw new Error(list.reason);
    },
  },
  {
    name: 'positive-int',
    accepts: 'a whole number of at least 1',
    coerce: (value: unknown) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value),
    validate(value: unknown) {
      if (!Number.isSafeInteger(value) || (value as number) < 1)
        throw new Error('must be a whole number of at least 1');
    },
  },
  {
    name: 'time-zone-or-empty',
    accepts: 'an IANA time zone such as `Europe/Berlin` or `UTC`, or empty for this machine\'s zone',
    validate(value: unknown) {
      if (value === '') return;
      if (typeof value !== 'string' || !isTimeZone(value))
        throw new Error("must be an IANA time zone such as Europe/Berlin or UTC, or empty for this machine's zone");
    },
  },
  {
    name: 'device-name',
    accepts: '1-64 characters of `A-Z a-z 0-9 _ -`',
    validate(value: unknown) {
      const problem = nameProblem('device', String(value));
      if (problem) throw new Error(problem);
    },
  },
  {
    name: 'topic-level',
    accepts: 'one MQTT topic level of 1-64 letters, digits, `-` or `_`',
    validate(value: unknown) {
      // Home Assistant's discovery prefix: one topic level of letters, digits, - and _ (no / + # or NUL).
      if (!isName(value)) throw new Error('must be one topic level of letters, digits, - or _, such as homeassistant');
    },
  },
  {
    name: 'partition',
    accepts: '`i/n`, e.g. `0/2`: i at least 0 and below n',
    validate(value: unknown) {
      const parsed = parsePartition(String(value));
      if (typeof parsed === 'string') throw new Error(parsed);
    },
  },
  {
    name: 'sensor-list',
    accepts: 'a JSON list of sensor objects, each with a `"type"`',
    coerce: parseJsonOrKeep,
    // Only the shape: config imports no component. The node checks each sensor against its driver at
    // start (sensor-node/sensor-config.ts) and names every problem there.
    validate(value: unknown) {
      if (!Array.isArray(value))
        throw new Error('must be a list of sensors, e.g. [{"type": "dht22-iio", "name": "dht22"}]');
      const problems = value.flatMap((entry: unknown, i) =>
        entry === null || typeof entry !== 'object' || Array.isArray(entry)
          ? [`node.sensors[${i}] must be an object`]
          : typeof (entry as { type?: unknown }).type !== 'string'
            ? [`node.sensors[${i}] needs a "type"`]
            : [],
      );
      if (problems.length > 0) throw new Error(problems.join('; '));
    },
  },
  {
    name: 'sources',
    accepts: 'preset names, comma-separated, or a JSON list of presets with options and custom mappings',
    coerce: parseJsonOrKeep,
    validate(value: unknown) {
      const parsed = parseSources(value, 'UTC');
      if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    },
  },
  {
    name: 'json-list',
    accepts: 'a JSON list',
    coerce: parseJsonOrKeep,
    // Only the shape here: the alerts worker checks each rule and route at start and names every problem.
    validate(value: unknown) {
      if (!Array.isArray(value))
        throw new Error('must be a JSON list, e.g. [{"name": "hot", "type": "threshold", ...}]');
    },
  },
  {
    name: 'metric-ranges',
    accepts: 'a JSON object of `"metric": [min, max]` with min <= max',
    coerce: parseJsonOrKeep,
    validate(value: unknown) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new Error('must be an object of metric: [min, max], e.g. {"co2": [0, 10000]}');
      }
      for (const [metric, range] of Object.entries(value as Record<string, Range>)) {
        if (!Array.isArray(range) || range.length !== 2 || !range.every(Number.isFinite) || range[0] > range[1]) {
          throw new Error(`range of ${metric} must be [min, max] with min <= max`);
        }
      }
    },
  },
];

/** Custom convict formats, registered once before any schema is built. */
export function registerFormats(): void {
  registerBoundedFormats();
  for (const { name, coerce, validate } of NAMED_FORMATS) {
    convict.addFormat({ name, validate, ...(coerce ? { coerce } : {}) });
  }
}

/** The machine's hostname made into a valid device name, the default a node publishes under. */
export function defaultDeviceName(): string {
  return (
    hostname()
      .replace(new RegExp(`[^${NAME_CHARACTERS}]`, 'g'), '-')
      .slice(0, MAX_NAME_LENGTH) || 'pi'
  );
}

/** A string comes from the environment; bad JSON is left for validate() to report with its key. */
function parseJsonOrKeep(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

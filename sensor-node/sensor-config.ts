import { nameProblem, STATUS_LEVEL } from '../shared/contract.js';
import { DHT22_MIN_READ_INTERVAL_MS } from './drivers/dht-binding.js';
import { DRIVERS, type DriverType } from './drivers/registry.js';
import type { SensorSpec } from './drivers/types.js';

const COMMON_FIELDS = new Set(['type', 'name', 'intervalMs', 'calibration', 'maxChangePerMinute']);
/** DHT sensors glitch by a few degrees now and then; real rooms do not change this fast. */
const DHT_DEFAULT_MAX_CHANGE_PER_MINUTE = { temperature: 10, humidity: 30 };

/**
 * Validates the `node.sensors` list. Pure: returns every sensor it could build and every problem,
 * each naming the sensor and the field, so one run shows everything to fix.
 */
export function parseSensorList(
  raw: unknown,
  defaultIntervalMs: number,
  drivers: Readonly<Record<string, DriverType>> = DRIVERS,
): { sensors: SensorSpec[]; problems: string[] } {
  const problems: string[] = [];
  const sensors: SensorSpec[] = [];
  if (!Array.isArray(raw)) return { sensors, problems: ['node.sensors must be a list of sensors'] };
  const names = new Set<string>();
  raw.forEach((entry: unknown, i) => {
    const where = (fields: Record<string, unknown>) => {
      const named = typeof fields.name === 'string' ? ` "${fields.name}"` : '';
      const typed = typeof fields.type === 'string' ? ` (${fields.type})` : '';
      return `node.sensors[${i}]${named}${typed}`;
    };
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push(`node.sensors[${i}] must be an object with at least "type" and "name"`);
      return;
    }
    const fields = entry as Record<string, unknown>;
    const found: string[] = [];
    const driver = typeof fields.type === 'string' ? drivers[fields.type] : undefined;
    if (!driver) {
      found.push(`type ${JSON.stringify(fields.type)} is not one of ${Object.keys(drivers).join(', ')}`);
    }
    const name = typeof fields.name === 'string' ? fields.name : '';
    const nameIssue = typeof fields.name !== 'string'
      ? 'name is required (it is the <sensor> topic level)'
      : nameProblem('sensor', name);
    if (nameIssue) found.push(nameIssue);
    else if (name === STATUS_LEVEL) found.push(`name "${STATUS_LEVEL}" is reserved for the device status topic`);
    else if (names.has(name)) found.push(`name "${name}" is used by another sensor of this node`);
    names.add(name);

    const intervalMs = fields.intervalMs ?? defaultIntervalMs;
    if (!Number.isSafeInteger(intervalMs) || (intervalMs as number) < 1) {
      found.push(`intervalMs must be a whole number of milliseconds, not ${JSON.stringify(fields.intervalMs)}`);
    } else if (driver?.minIntervalMs && (intervalMs as number) < driver.minIntervalMs) {
      found.push(`intervalMs ${intervalMs} is below the ${driver.minIntervalMs} ms this sensor allows`);
    }

    const calibration = numberMap(fields.calibration, 'calibration', found);
    const maxChange = numberMap(fields.maxChangePerMinute, 'maxChangePerMinute', found);
    const options = driver ? driverOptions(fields, driver, found) : {};
    if (found.length > 0) {
      problems.push(...found.map((problem) => `${where(fields)}: ${problem}`));
      return;
    }
    const isDht = driver!.minIntervalMs === DHT22_MIN_READ_INTERVAL_MS;
    const dhtDefault = fields.maxChangePerMinute === undefined && isDht;
    sensors.push({
      type: fields.type as string,
      name,
      intervalMs: intervalMs as number,
      calibration,
      maxChangePerMinute: dhtDefault ? DHT_DEFAULT_MAX_CHANGE_PER_MINUTE : maxChange,
      options,
    });
  });
  return { sensors, problems };
}

function numberMap(value: unknown, field: string, problems: string[]): Record<string, number> {
  if (value === undefined) return {};
  const numbers = value !== null && typeof value === 'object' && !Array.isArray(value);
  if (!numbers || !Object.values(value).every(Number.isFinite)) {
    problems.push(`${field} must be an object of metric: number, e.g. {"temperature": -0.5}`);
    return {};
  }
  return value as Record<string, number>;
}

function driverOptions(
  fields: Record<string, unknown>,
  driver: DriverType,
  problems: string[],
): Record<string, string | number | boolean> {
  const options: Record<string, string | number | boolean> = {};
  for (const [field, value] of Object.entries(fields)) {
    if (COMMON_FIELDS.has(field)) continue;
    const spec = driver.options[field];
    if (!spec) {
      const known = Object.keys(driver.options);
      const takes = known.length ? ` (this type takes ${known.join(', ')})` : ' (this type takes no options)';
      problems.push(`unknown field "${field}"${takes}`);
      continue;
    }
    const ok = spec.kind === 'integer' ? Number.isSafeInteger(value) : typeof value === spec.kind;
    const wanted = spec.kind === 'integer' ? 'a whole number' : `a ${spec.kind}`;
    if (!ok) problems.push(`${field} must be ${wanted}: ${spec.doc}`);
    else options[field] = value as string | number | boolean;
  }
  for (const [field, spec] of Object.entries(driver.options)) {
    if (spec.required && fields[field] === undefined) problems.push(`${field} is required: ${spec.doc}`);
  }
  return options;
}

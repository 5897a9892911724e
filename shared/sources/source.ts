/**
 * Sources: devices of other projects (Tasmota, Zigbee2MQTT, ESPHome, Shelly, or a mapping of your own)
 * whose MQTT messages pimonitor reads beside its own home/<device>/<sensor>. A source says which topics
 * to subscribe to and turns one message into what the contract's home/… messages become: readings, a
 * device status, a reason to reject it, or a rule that ignores it. Pure: no I/O, no clock, no throw.
 */

import {
  checkReading,
  nameProblem,
  type DeviceStatus,
  type Invalid,
  type Reading,
  type RejectionCode,
  type ValidationLimits,
} from '../contract.js';
import { safeText } from '../text.js';
import { instantOf } from './mapping.js';

/** What one message became. `source` names who read it (`pimonitor` for home/…). */
export type Decoded =
  | { kind: 'readings'; source: string; readings: Reading[] }
  | { kind: 'status'; source: string; device: string; status: DeviceStatus }
  /** Not a reading, by rule (a bridge's log, a button press): acknowledged, counted, not stored. */
  | { kind: 'ignored'; source: string; reason: string }
  | (Invalid & { source: string });

/** What a source's decode gets besides the message: the receive time, the limits, its settings. */
export interface DecodeContext {
  receivedAt: Date;
  limits: ValidationLimits;
}

/** A configured source, ready to match and decode topics. */
export interface Source {
  /** Its name in reasons, logs and metrics (the preset's name unless configured). */
  readonly name: string;
  readonly preset: string;
  /** The MQTT filters to subscribe to. */
  readonly filters: readonly string[];
  /** The part of the topic that names the device, for splitting devices between ingest workers. */
  deviceKey(topic: string): string;
  /** Decodes a message on one of its filters. Never throws (decodeMessage catches what would). */
  decode(topic: string, payload: Buffer, context: DecodeContext): Decoded;
  /**
   * Why a topic its wildcards match is another's (Home Assistant's, pimonitor's, another source's:
   * shared/sources/territory.ts), or null. Set by parseSources, which knows all of them.
   */
  foreign?(topic: string): string | null;
}

/** Whether `topic` matches MQTT filter `filter`: shared/topic-filter.ts. */
export { topicMatches } from '../topic-filter.js';

/** A rejection of `source`, its reason starting with the source's name so a stored row says who read it. */
export const reject = (source: string, code: RejectionCode, reason: string): Decoded => ({
  ok: false,
  source,
  code,
  reason: safeText(`${source}: ${reason}`, 500),
});

export const ignore = (source: string, reason: string): Decoded => ({ kind: 'ignored', source, reason });

export interface MappedReading {
  device: string;
  sensor: string;
  ts: Date;
  fields: Array<[string, unknown]>;
}

/**
 * Passes each mapped reading through the contract's checks; the first problem rejects the message.
 * `localZone`: the device's time had no offset and was read in that zone, which a clock problem names,
 * because a source set to the wrong zone looks exactly like a device clock hours off.
 */
export function checked(
  source: string,
  mapped: readonly MappedReading[],
  { receivedAt, limits }: DecodeContext,
  localZone?: string,
): Decoded {
  const readings: Reading[] = [];
  for (const { device, sensor, ts, fields } of mapped) {
    // Mapped names are legal by construction, save one that a devicePrefix has made longer than 64.
    const nameIssue = nameProblem('device', device) ?? nameProblem('sensor', sensor);
    if (nameIssue) return reject(source, 'topic', nameIssue);
    const result = checkReading(device, sensor, ts, fields, receivedAt, limits);
    const hint =
      result.ok || result.code !== 'clock' || !localZone
        ? ''
        : ` (its time has no offset and was read as ${localZone} time: ` +
          "if the device keeps another zone, set this source's timeZone)";
    if (!result.ok) return reject(source, result.code, `${device}/${sensor}: ${result.reason}${hint}`);
    readings.push(result.reading);
  }
  if (readings.length === 0) return reject(source, 'shape', 'the message has no numeric readings');
  return { kind: 'readings', source, readings };
}

/** When a reading was taken: the device's `field` (absent or null: the receive time), or the rejection naming it. */
export function readingTime(
  source: string,
  field: string,
  raw: unknown,
  timeZone: string,
  { receivedAt }: DecodeContext,
): { ok: true; ts: Date; localZone?: string } | { ok: false; rejected: Decoded } {
  if (raw === undefined || raw === null) return { ok: true, ts: receivedAt };
  const time = instantOf(raw, timeZone, receivedAt);
  if (!time.ok) return { ok: false, rejected: reject(source, time.code, `${field}: ${time.reason}`) };
  return { ok: true, ts: time.ts, localZone: time.local ? timeZone : undefined };
}

/** Parses a JSON object payload, or says why it is not one. */
export function jsonObject(
  source: string,
  payload: Buffer,
): { ok: true; body: Record<string, unknown> } | { ok: false; rejected: Decoded } {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return {
      ok: false,
      rejected: reject(
        source,
        'json',
        payload.length === 0
          ? 'payload is empty'
          : `payload is not JSON: ${JSON.stringify(payload.subarray(0, 40).toString('utf8'))}`,
      ),
    };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return { ok: false, rejected: reject(source, 'shape', 'payload is not a JSON object') };
  return { ok: true, body: body as Record<string, unknown> };
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

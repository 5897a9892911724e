import { safeText } from '../shared/text.js';
import {
  MAX_REASON_CHARS,
  parseReading,
  parseStatus,
  parseTopic,
  type DeviceStatus,
  type Invalid,
  type Reading,
  type RejectionCode,
  type ValidationLimits,
} from '../shared/contract.js';

/** What one MQTT message becomes: a reading, a status change, or a rejection with its reason. */
export type Entry =
  | { kind: 'reading'; reading: Reading; receivedAt: Date }
  | { kind: 'status'; device: string; status: DeviceStatus; receivedAt: Date }
  | { kind: 'rejected'; topic: string; payload: Buffer; code: RejectionCode; reason: string; receivedAt: Date };

/**
 * Pure: never throws, so no message can stop the worker. The contract is total (a fuzz test drives it
 * with arbitrary bytes); the catch is the last line, and its `unexpected` code says a bug was found.
 */
export function classify(topic: string, payload: Buffer, receivedAt: Date, limits: ValidationLimits): Entry {
  try {
    return classifyOrThrow(topic, payload, receivedAt, limits);
  } catch (err) {
    return { kind: 'rejected', topic, payload, code: 'unexpected', reason: safeText(`validating this message failed unexpectedly: ${(err as Error)?.message ?? err}`, MAX_REASON_CHARS), receivedAt };
  }
}

function classifyOrThrow(topic: string, payload: Buffer, receivedAt: Date, limits: ValidationLimits): Entry {
  const reject = ({ code, reason }: Invalid): Entry => ({ kind: 'rejected', topic, payload, code, reason, receivedAt });
  const parsedTopic = parseTopic(topic);
  if (!parsedTopic.ok) return reject(parsedTopic);
  const t = parsedTopic.topic;
  if (t.kind === 'status') {
    const status = parseStatus(payload);
    return status.ok ? { kind: 'status', device: t.device, status: status.status, receivedAt } : reject(status);
  }
  const reading = parseReading(t.device, t.sensor, payload, receivedAt, limits);
  return reading.ok ? { kind: 'reading', reading: reading.reading, receivedAt } : reject(reading);
}

/** Database rows an entry becomes; what batch sizes and the memory bound count. */
export function rowCount(entry: Entry): number {
  return entry.kind === 'reading' ? entry.reading.metrics.length : 1;
}

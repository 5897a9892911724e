import {
  parseReading,
  parseStatus,
  parseTopic,
  type DeviceStatus,
  type Reading,
  type ValidationLimits,
} from '../shared/contract.js';

/** What one MQTT message becomes: a reading, a status change, or a rejection with its reason. */
export type Entry =
  | { kind: 'reading'; reading: Reading; receivedAt: Date }
  | { kind: 'status'; device: string; status: DeviceStatus; receivedAt: Date }
  | { kind: 'rejected'; topic: string; payload: Buffer; reason: string; receivedAt: Date };

/** Pure: never throws, so no message can stop the worker. */
export function classify(topic: string, payload: Buffer, receivedAt: Date, limits: ValidationLimits): Entry {
  const reject = (reason: string): Entry => ({ kind: 'rejected', topic, payload, reason, receivedAt });
  const parsedTopic = parseTopic(topic);
  if (!parsedTopic.ok) return reject(parsedTopic.reason);
  const t = parsedTopic.topic;
  if (t.kind === 'status') {
    const status = parseStatus(payload);
    return status.ok ? { kind: 'status', device: t.device, status: status.status, receivedAt } : reject(status.reason);
  }
  const reading = parseReading(t.device, t.sensor, payload, receivedAt, limits);
  return reading.ok ? { kind: 'reading', reading: reading.reading, receivedAt } : reject(reading.reason);
}

/** Database rows an entry becomes; what batch sizes and the memory bound count. */
export function rowCount(entry: Entry): number {
  return entry.kind === 'reading' ? entry.reading.metrics.length : 1;
}

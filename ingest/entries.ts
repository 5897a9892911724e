import type { DeviceStatus, Reading, RejectionCode, ValidationLimits } from '../shared/contract.js';
import { decodeMessage, renamedDevice } from '../shared/sources/decode.js';
import type { Source } from '../shared/sources/source.js';

/**
 * What one MQTT message becomes: readings (one of a pimonitor node, one or several of another project's
 * device), a status change, a message ignored by a source's rule, or a rejection with its reason.
 * `source` names who read it: `pimonitor`, or a configured source (shared/sources).
 */
export type Entry =
  | { kind: 'readings'; source: string; readings: Reading[]; receivedAt: Date; refused?: Refusal; renamed?: Renamed }
  | { kind: 'status'; source: string; device: string; status: DeviceStatus; receivedAt: Date; renamed?: Renamed }
  | { kind: 'ignored'; source: string; topic: string; reason: string; receivedAt: Date }
  | {
    kind: 'rejected'; source: string; topic: string; payload: Buffer; code: RejectionCode; reason: string;
    receivedAt: Date;
  };

/**
 * A source's device name that is not a legal name, and the name it is stored under (shared/sources/mapping.ts
 * legalName).
 */
export interface Renamed {
  name: string;
  device: string;
}

/**
 * Readings of a message that ingest refused while storing the rest (ingest/series-quota.ts): the message
 * is also stored in rejected_messages with this code and reason.
 */
export interface Refusal {
  topic: string;
  payload: Buffer;
  code: RejectionCode;
  reason: string;
}

/**
 * Pure: never throws, so no message can stop the worker. The contract and the sources are total (fuzz
 * tests drive them with arbitrary bytes); decodeMessage's catch is the last line, and its `unexpected`
 * code says a bug was found.
 */
export function classify(
  topic: string, payload: Buffer, receivedAt: Date, limits: ValidationLimits, sources: readonly Source[] = [],
): Entry {
  const decoded = decodeMessage(sources, topic, payload, receivedAt, limits);
  if ('ok' in decoded) {
    const { source, code, reason } = decoded;
    return { kind: 'rejected', source, topic, payload, code, reason, receivedAt };
  }
  switch (decoded.kind) {
    case 'readings': {
      const renamed = renamedIn(sources, topic, decoded.readings[0]?.device);
      return renamed ? { ...decoded, receivedAt, renamed } : { ...decoded, receivedAt };
    }
    case 'status': {
      const renamed = renamedIn(sources, topic, decoded.device);
      return renamed ? { ...decoded, receivedAt, renamed } : { ...decoded, receivedAt };
    }
    case 'ignored':
      return { ...decoded, topic, receivedAt };
  }
}

function renamedIn(sources: readonly Source[], topic: string, device: string | undefined): Renamed | undefined {
  const name = sources.length > 0 ? renamedDevice(sources, topic) : null;
  return name !== null && device !== undefined ? { name, device } : undefined;
}

/** Database rows an entry becomes; what batch sizes and the memory bound count. */
export function rowCount(entry: Entry): number {
  switch (entry.kind) {
    case 'readings':
      return entry.readings.reduce((n, r) => n + r.metrics.length, 0);
    case 'ignored':
      return 0;
    default:
      return 1;
  }
}

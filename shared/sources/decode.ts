/**
 * One entry for every reader of the broker (ingest, the alerts worker, the dashboard's live feed): a
 * message becomes the same readings, status, rejection or ignore rule in each, whichever project's
 * device sent it. Pure, and total: a source that throws is a bug reported as `unexpected`, never a crash.
 */

import {
  INGEST_SUBSCRIPTION,
  parseReading,
  parseStatus,
  parseTopic,
  receiptProblem,
  TOPIC_ROOT,
  type ValidationLimits,
} from '../contract.js';
import { safeText } from '../text.js';
import { legalName } from './mapping.js';
import { ignore, reject, topicMatches, type Decoded, type Source } from './source.js';

const OWN = 'pimonitor';

/** Every filter to subscribe to: pimonitor's home/+/+ and each source's, once each. */
export function subscriptionsOf(sources: readonly Source[]): string[] {
  return [...new Set([INGEST_SUBSCRIPTION, ...sources.flatMap((s) => s.filters)])];
}

const matches = (s: Source, topic: string) => s.filters.some((f) => topicMatches(f, topic));

/**
 * The source that reads `topic`: none for home/… (the contract's), else the first whose filters match
 * and whose territory it is (a wildcard's match under homeassistant/ or another source's root is not).
 */
export function sourceFor(sources: readonly Source[], topic: string): Source | undefined {
  if (topic.startsWith(`${TOPIC_ROOT}/`)) return undefined;
  return sources.find((s) => matches(s, topic) && !s.foreign?.(topic));
}

/** A topic a source's wildcard brought in but that is another's: ignored by that source, the owner named. */
function fencedOff(sources: readonly Source[], topic: string): Decoded | undefined {
  for (const s of sources) {
    const reason = matches(s, topic) ? s.foreign?.(topic) : null;
    if (reason) return ignore(s.name, reason);
  }
  return undefined;
}

/**
 * The device's name as its project spells it (the source's deviceKey: a Zigbee2MQTT friendly name),
 * when pimonitor stores it under another (legalName adds a hash), so ingest can say so once; else null.
 */
export function renamedDevice(sources: readonly Source[], topic: string): string | null {
  const name = sourceFor(sources, topic)?.deviceKey(topic);
  return name && legalName(name) !== name ? name : null;
}

/** What names the device in `topic`, so all of one device's messages go to one ingest worker. */
export function deviceKeyOf(sources: readonly Source[], topic: string): string {
  const source = sourceFor(sources, topic);
  return source ? `${source.name}\u0000${source.deviceKey(topic)}` : (topic.split('/')[1] ?? '');
}

export function decodeMessage(
  sources: readonly Source[],
  topic: string,
  payload: Buffer,
  receivedAt: Date,
  limits: ValidationLimits,
): Decoded {
  const source = sourceFor(sources, topic);
  try {
    if (!source)
      return (
        (!topic.startsWith(`${TOPIC_ROOT}/`) && fencedOff(sources, topic)) || own(topic, payload, receivedAt, limits)
      );
    const problem = receiptProblem(payload.length, receivedAt, limits);
    if (problem) return reject(source.name, problem.code, problem.reason);
    return source.decode(topic, payload, { receivedAt, limits });
  } catch (err) {
    return {
      ok: false,
      source: source?.name ?? OWN,
      code: 'unexpected',
      reason: safeText(`decoding this message failed unexpectedly: ${(err as Error)?.message ?? err}`, 500),
    };
  }
}

/** pimonitor's own home/<device>/<sensor> and home/<device>/status (shared/contract.ts). */
function own(topic: string, payload: Buffer, receivedAt: Date, limits: ValidationLimits): Decoded {
  const t = parseTopic(topic);
  if (!t.ok) return { ...t, source: OWN };
  if (t.topic.kind === 'status') {
    const s = parseStatus(payload);
    return s.ok ? { kind: 'status', source: OWN, device: t.topic.device, status: s.status } : { ...s, source: OWN };
  }
  const r = parseReading(t.topic.device, t.topic.sensor, payload, receivedAt, limits);
  return r.ok ? { kind: 'readings', source: OWN, readings: [r.reading] } : { ...r, source: OWN };
}

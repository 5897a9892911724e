import { DEFAULT_LIMITS } from '../../shared/contract.js';
import { decodeMessage } from '../../shared/sources/decode.js';
import { parseSources } from '../../shared/sources/spec.js';
import type { Decoded, Source } from '../../shared/sources/source.js';

// Set-up shared by the table tests of the sources (test/sources.test.ts, test/sources-config.test.ts):
// the presets parsed, a receive time, and readings written as lines to compare.

export const sourcesOf = (raw: unknown, tz = 'Europe/Berlin'): Source[] => {
  const parsed = parseSources(raw, tz);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.value;
};
export const ALL = sourcesOf('tasmota,zigbee2mqtt,esphome,shelly');
export const received = new Date('2026-11-25T10:00:05Z');
export const decode = (topic: string, payload: string, at = received, sources = ALL): Decoded =>
  decodeMessage(sources, topic, Buffer.from(payload), at, DEFAULT_LIMITS);

/** The readings as device/sensor metric=value lines, and their times. */
export function rows(d: Decoded): string[] {
  if (!('kind' in d) || d.kind !== 'readings') throw new Error(`expected readings, got ${JSON.stringify(d)}`);
  return d.readings.flatMap((r) =>
    r.metrics.map((m) => `${r.device}/${r.sensor} ${m.metric}=${m.value} @${r.ts.toISOString()}`));
}

import { encodeReading } from '../shared/contract.js';
import type { Readings } from './drivers/types.js';
import type { WallClock } from './wall-clock.js';

/**
 * Readings held for the clock (issue 25, item 6) wait in the outbox like any other, so a restart of the
 * node does not lose them and they leave in the order they were taken, ahead of anything taken later.
 * They cannot carry a wall time yet: each is stored under `held:<topic>` with the boot it was taken in
 * and its instant on the system's monotonic clock (since boot, the same for every process of one boot),
 * and is dated when it is sent. One taken in an earlier boot (a power cut before the clock synced)
 * cannot be dated: nothing ties that boot's clock to the wall; it is dropped and counted.
 */
const PREFIX = 'held:';

interface HeldBody {
  sensor: string;
  boot: string | null;
  bootMs: number;
  readings: Readings;
}

export interface HeldReading extends HeldBody {
  topic: string;
}

export function encodeHeld(topic: string, body: HeldBody): { topic: string; payload: Buffer } {
  return { topic: PREFIX + topic, payload: Buffer.from(JSON.stringify(body)) };
}

/** The held reading an outbox record holds, or null when it is an ordinary (dated) reading. */
export function decodeHeld(topic: string, payload: Buffer): HeldReading | null {
  if (!topic.startsWith(PREFIX)) return null;
  try {
    const body = JSON.parse(payload.toString()) as HeldBody;
    if (typeof body.sensor !== 'string' || !Number.isFinite(body.bootMs) || typeof body.readings !== 'object' || body.readings === null) throw new Error('not a held reading');
    return { ...body, topic: topic.slice(PREFIX.length) };
  } catch {
    // Written by this program and checksummed by the spool: a body that does not parse cannot be sent.
    return { sensor: '', boot: 'unreadable', bootMs: 0, readings: {}, topic: topic.slice(PREFIX.length) };
  }
}

export type Dating =
  | { kind: 'wait' }
  | { kind: 'undatable' }
  | { kind: 'dated'; ts: Date; payload: Buffer };

/** What to do with a held reading now: wait for the clock, drop it (another boot), or send it with its time. */
export function dateHeld(held: HeldReading, clock: WallClock, boot: string | null): Dating {
  if (held.boot !== boot || held.sensor === '') return { kind: 'undatable' };
  const ts = clock.toWall(clock.fromBootMs(held.bootMs));
  if (!ts) return { kind: 'wait' };
  return { kind: 'dated', ts, payload: encodeReading(held.readings, ts) };
}

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { encodeReading, MAX_FUTURE_SKEW_MS } from '../shared/contract.js';
import { EARLIEST_TIMESTAMP_MS, LATEST_TIMESTAMP_MS } from '../shared/timestamp.js';
import { ClockAnchors } from './clock-anchor.js';
import type { Readings } from './drivers/types.js';
import type { Outbox } from './outbox.js';
import type { WallClock } from './wall-clock.js';

/**
 * Readings held for the clock (issue 25, item 6) wait in the outbox like any other, so a restart of the
 * node does not lose them and they leave in the order they were taken, ahead of anything taken later.
 * They cannot carry a wall time yet: each is stored under `held:<topic>` with the boot it was taken in
 * and its instant on the system's monotonic clock (since boot, the same for every process of one boot),
 * and is dated when it is sent, from its boot's anchor (clock-anchor.ts): the same ts every time it is
 * sent. One taken in a boot whose clock never synchronised (a power cut first) cannot be dated: nothing
 * ties that boot's clock to the wall; it is dropped and counted.
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
    const wellFormed =
      typeof body.sensor === 'string' &&
      Number.isFinite(body.bootMs) &&
      typeof body.readings === 'object' &&
      body.readings !== null;
    if (!wellFormed) throw new Error('not a held reading');
    return { ...body, topic: topic.slice(PREFIX.length) };
  } catch {
    // Written by this program and checksummed by the spool: a body that does not parse cannot be sent.
    return { sensor: '', boot: null, bootMs: 0, readings: {}, topic: topic.slice(PREFIX.length) };
  }
}

export type Dating =
  | { kind: 'wait' }
  | { kind: 'undatable'; why: string }
  | { kind: 'dated'; ts: Date; payload: Buffer };

export const EARLIER_BOOT =
  'readings held for the clock in an earlier boot whose clock never synchronised (a power cut first), ' +
  'or did more than 256 boots ago: their time cannot be known';
const UNREADABLE = 'readings held for the clock whose record in the outbox cannot be read';
export const OUT_OF_RANGE =
  "readings held for the clock that their boot's tie to the wall (clock-anchors.json) dates before 2000 " +
  'or more than a day after now: the file is damaged';

/** Dates held readings: this boot's, once its clock is synchronised; an earlier boot's, if its clock was. */
export class HeldDating {
  /** This boot; without a boot id (no /proc), this process: nothing else ties a held reading to its clock. */
  readonly boot: string;
  private readonly anchors: ClockAnchors;

  constructor(private readonly clock: WallClock, outboxDir: string, boot: string | null) {
    this.boot = boot ?? `unknown-boot:${randomUUID()}`;
    this.anchors = new ClockAnchors(join(outboxDir, 'clock-anchors.json'));
  }

  /**
   * This boot's anchor, taken (and saved) the first time the clock is seen synchronised; undefined
   * before.
   */
  anchor(): number | undefined {
    const offset = this.anchors.of(this.boot) ?? this.clock.bootOffsetMs();
    return offset === undefined ? undefined : this.anchors.take(this.boot, offset);
  }

  hold(topic: string, sensor: string, readings: Readings, monotonicMs: number): { topic: string; payload: Buffer } {
    return encodeHeld(topic, { sensor, boot: this.boot, bootMs: this.clock.toBootMs(monotonicMs), readings });
  }

  /** What to do with a held reading now: wait for the clock, drop it, or send it with its time. */
  date(held: HeldReading): Dating {
    if (held.sensor === '') return { kind: 'undatable', why: UNREADABLE };
    const thisBoot = held.boot === this.boot;
    const offset = thisBoot ? this.anchor() : held.boot === null ? undefined : this.anchors.of(held.boot);
    if (offset === undefined) return thisBoot ? { kind: 'wait' } : { kind: 'undatable', why: EARLIER_BOOT };
    const ms = Math.round(held.bootMs + offset);
    // A reading is never taken after now, nor before 2000 (ingest's floor): a time before 2000, or further
    // ahead than any INGEST_MAX_FUTURE_SKEW_MS allows (a clock stepped back since the anchor), is a
    // damaged anchor's.
    const now = this.clock.now();
    const latest = now === undefined ? LATEST_TIMESTAMP_MS : now + MAX_FUTURE_SKEW_MS;
    if (!(ms >= EARLIEST_TIMESTAMP_MS && ms <= latest)) return { kind: 'undatable', why: OUT_OF_RANGE };
    const ts = new Date(ms);
    return { kind: 'dated', ts, payload: encodeReading(held.readings, ts) };
  }
}

/**
 * Outbox records one turn of sending looks at, at most: a long run of undatable ones yields to the event
 * loop.
 */
export const MAX_LOOK = 4096;

export interface Outgoing {
  end: number;
  topic: string;
  payload: Buffer;
  /** A held reading, now dated. */
  held?: { sensor: string; readings: Readings; ts: Date };
}

/**
 * The outbox's records from `from` to send, up to `room`, held ones dated. Undatable ones take no room:
 * when `mayDrop()` (nothing before them is in flight) the cursor moves past them and they are counted
 * in `dropped`, else sending stops there, as it does at a held reading waiting for the clock.
 */
export function* outgoing(
  outbox: Outbox,
  from: number,
  room: number,
  dating: HeldDating,
  mayDrop: () => boolean,
  dropped: Map<string, number>,
): Generator<Outgoing> {
  for (let at = from, looked = 0; room > 0 && looked < MAX_LOOK; ) {
    const batch = outbox.read(at, room);
    if (batch.length === 0) return;
    looked += batch.length;
    for (const message of batch) {
      at = message.end;
      const held = decodeHeld(message.topic, message.payload);
      const dated = held && dating.date(held);
      if (dated?.kind === 'wait') return;
      if (dated?.kind === 'undatable') {
        if (!mayDrop()) return;
        outbox.ack(message.end);
        dropped.set(dated.why, (dropped.get(dated.why) ?? 0) + 1);
        continue;
      }
      room--;
      if (dated?.kind === 'dated') {
        const { topic, sensor, readings } = held!;
        yield { end: message.end, topic, payload: dated.payload, held: { sensor, readings, ts: dated.ts } };
      } else yield { end: message.end, topic: message.topic, payload: message.payload };
    }
  }
}

import { crc32 } from 'node:zlib';
import { HEADER_BYTES, type PositionedMessage } from './record.js';

/**
 * Reading records back when the disk may have damaged them. Pure.
 *
 * A record has no sync marker, so a reader that meets something that is not a whole, valid record
 * (a flipped byte, an impossible length, a cursor that points inside a record) resynchronises by
 * trying every following byte as the start of a record. A candidate counts only if its length fits in
 * what remains of the segment and the CRC-32 over its body matches, so garbage passes for a record
 * with a chance of about 2^-32 per candidate; while resynchronising a candidate's topic must also be
 * non-empty and free of NUL (MQTT forbids it), which rejects almost all garbage before any CRC is
 * computed. A damaged length field cannot swallow the records after it: its CRC fails, and the scan
 * goes on a byte further, so it reaches the next record's start.
 *
 * No buffer is allocated from a length that has not been checked against what remains.
 */

const FIXED_BODY_BYTES = 10;
const NUL = 0;

/** A record starting at `start`, as a spool position; `end` is just past it. */
export interface ScannedMessage extends PositionedMessage {
  start: number;
}

export type Candidate =
  | { kind: 'record'; message: ScannedMessage }
  /** The length fits the segment but runs past `buffer`: read `bytes` bytes from here and check again. */
  | { kind: 'longer'; bytes: number }
  | { kind: 'none' };

/**
 * Whether a valid record starts at `offset` of `buffer` (which starts at spool position `base`);
 * `room` is how many bytes the segment holds from the start of `buffer` on (at least buffer.length).
 */
export function candidateAt(buffer: Buffer, offset: number, base: number, room: number, resyncing: boolean): Candidate {
  if (offset + HEADER_BYTES > buffer.length) return { kind: 'none' };
  const bodyLength = buffer.readUInt32LE(offset);
  const end = offset + HEADER_BYTES + bodyLength;
  if (bodyLength < FIXED_BODY_BYTES || end > room) return { kind: 'none' };
  const topicAt = offset + HEADER_BYTES + FIXED_BODY_BYTES;
  if (topicAt <= buffer.length) {
    const topicBytes = buffer.readUInt16LE(topicAt - 2);
    if (FIXED_BODY_BYTES + topicBytes > bodyLength) return { kind: 'none' };
    if (resyncing) {
      if (topicBytes === 0) return { kind: 'none' };
      if (buffer.subarray(topicAt, topicAt + topicBytes).includes(NUL)) return { kind: 'none' };
    }
  }
  if (end > buffer.length) return { kind: 'longer', bytes: HEADER_BYTES + bodyLength };
  const body = buffer.subarray(offset + HEADER_BYTES, end);
  if (crc32(body) !== buffer.readUInt32LE(offset + 4)) return { kind: 'none' };
  const topicBytes = body.readUInt16LE(8);
  return {
    kind: 'record',
    message: {
      receivedAt: body.readDoubleLE(0),
      topic: body.toString('utf8', FIXED_BODY_BYTES, FIXED_BODY_BYTES + topicBytes),
      // A copy, so a batch does not pin the whole read buffer in memory.
      payload: Buffer.from(body.subarray(FIXED_BODY_BYTES + topicBytes)),
      start: base + offset,
      end: base + end,
    },
  };
}

export interface Scan {
  messages: ScannedMessage[];
  /** The spool position scanning reached: where the next scan goes on from. */
  next: number;
  /** A candidate at `next` runs past `buffer` but fits the segment: read this many bytes there to check it. */
  longer?: number;
}

/**
 * Valid records of `buffer` (spool position `base`, `room` bytes to the segment's end), up to `max`,
 * skipping whatever is not one. A gap between one message's end and the next one's start (or `base`
 * and the first) is damage. `resyncing`: the bytes just before `buffer` were already damage.
 */
export function scanRecords(buffer: Buffer, base: number, room: number, max: number, resyncing = false): Scan {
  const messages: ScannedMessage[] = [];
  let offset = 0;
  let stepping = resyncing;
  while (messages.length < max && offset + HEADER_BYTES <= buffer.length) {
    const found = candidateAt(buffer, offset, base, room, stepping);
    if (found.kind === 'longer') return { messages, next: base + offset, longer: found.bytes };
    if (found.kind === 'record') {
      messages.push(found.message);
      offset = found.message.end - base;
      stepping = false;
    } else {
      offset++;
      stepping = true;
    }
  }
  // Fewer than a header's bytes left at the segment's end cannot hold a record.
  if (messages.length < max && buffer.length === room) offset = Math.max(offset, room);
  return { messages, next: base + offset };
}

/** The end of the last valid record in a whole segment `buffer`: recovery cuts what follows it. Pure. */
export function lastValidEnd(buffer: Buffer): number {
  let offset = 0;
  let last = 0;
  let stepping = false;
  while (offset + HEADER_BYTES <= buffer.length) {
    const found = candidateAt(buffer, offset, 0, buffer.length, stepping);
    if (found.kind === 'record') {
      last = offset = found.message.end;
      stepping = false;
    } else {
      offset++;
      stepping = true;
    }
  }
  return last;
}

import { closeSync, openSync, readSync } from 'node:fs';
import type { PositionedMessage } from './record.js';
import { candidateAt, scanRecords, type ScannedMessage } from './scan.js';

export interface SegmentFile {
  base: number;
  path: string;
}

/** How much one read pulls from disk at most; a batch is rarely larger. */
export const READ_CHUNK_BYTES = 1 << 20;

/**
 * Reads up to `max` whole messages from spool position `from`, skipping what is not a valid record
 * (see scan.ts): each stretch skipped goes to `onDamage` as [from, to), with the size of the valid
 * record after it (to estimate how many it held). Returns nothing only when no
 * valid record lies between `from` and `head`; never allocates more than what remains of a segment.
 */
export function readRecords(
  segments: readonly SegmentFile[],
  head: number,
  from: number,
  max: number,
  onDamage: (from: number, to: number, nextRecordBytes?: number) => void,
): PositionedMessage[] {
  const out: PositionedMessage[] = [];
  // Where the next record should start: a message starting later means the bytes between were damage.
  let expected = from;
  let pos = from;
  const take = (message: ScannedMessage) => {
    if (message.start > expected) onDamage(expected, message.start, message.end - message.start);
    const { start: _start, ...positioned } = message;
    out.push(positioned);
    expected = pos = message.end;
  };
  while (out.length === 0 && pos < head && max > 0) {
    const index = segments.findLastIndex((s) => s.base <= pos);
    const segment = segments[index];
    if (!segment) break;
    const segmentEnd = segments[index + 1]?.base ?? head;
    const want = Math.min(READ_CHUNK_BYTES, segmentEnd - pos);
    const buffer = readAt(segment.path, pos - segment.base, want);
    // A file shorter than its positions say (cut by damage) ends early: the missing bytes are damage.
    const room = buffer.length < want ? buffer.length : segmentEnd - pos;
    const start = pos;
    const scan = scanRecords(buffer, pos, room, max, expected < pos);
    for (const message of scan.messages) take(message);
    pos = scan.next;
    if (scan.longer !== undefined) {
      // A record longer than a chunk (or a damaged length that still fits the segment): read exactly it.
      const whole = readAt(segment.path, pos - segment.base, scan.longer);
      const found = candidateAt(whole, 0, pos, whole.length, expected < pos);
      if (found.kind === 'record') take(found.message);
      else pos++;
    } else if (pos >= start + room) {
      pos = segmentEnd;
    }
  }
  // Nothing valid up to the head: what is left is damage (counted once, however often it is read).
  if (out.length === 0 && pos >= head && head > expected) onDamage(expected, head);
  return out;
}

function readAt(path: string, offset: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  const fd = openSync(path, 'r');
  try {
    let got = 0;
    while (got < length) {
      const bytesRead = readSync(fd, buffer, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buffer.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

import {
  closeSync, fsyncSync, ftruncateSync, openSync, readdirSync, readFileSync, statSync, writeSync, writevSync,
} from 'node:fs';
import { join } from 'node:path';
import type { SegmentFile } from './read.js';
import { lastValidEnd } from './scan.js';

/**
 * The spool's segment files on disk (the log itself is ./spool.ts): each is named by the log position it
 * starts at, in 20 digits so that names sort as positions do.
 */
const SEGMENT_FILE = /^(\d{20})\.seg$/;

/** The file of the segment that starts at position `base`. */
export const segmentPath = (dir: string, base: number): string =>
  join(dir, `${String(base).padStart(20, '0')}.seg`);

/** The segment files in `dir`, by the position they start at. */
export function listSegments(dir: string): SegmentFile[] {
  return readdirSync(dir)
    .map((name) => SEGMENT_FILE.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ base: Number(match[1]), path: join(dir, match[0]) }))
    .sort((a, b) => a.base - b.base);
}

/**
 * Cuts from the segment file at `path` what follows its last valid record (a record torn by a power
 * cut, or damaged), and syncs the cut. Returns the file's size before and the bytes kept.
 */
export function cutTornTail(path: string): { size: number; validBytes: number } {
  const size = statSync(path).size;
  const validBytes = lastValidEnd(readFileSync(path));
  const fd = openSync(path, 'r+');
  try {
    if (validBytes < size) {
      ftruncateSync(fd, validBytes);
      fsyncSync(fd);
    }
  } finally {
    closeSync(fd);
  }
  return { size, validBytes };
}

/**
 * Writes `records` to the segment open as `fd`, all of them: in one write when the operating system
 * takes them whole. Throws what the write throws, with part of them perhaps written.
 */
export function writeRecords(fd: number, records: readonly Buffer[]): void {
  let written = records.length === 1 ? writeSync(fd, records[0]!) : writevSync(fd, records);
  // A short write (rare on a regular file): the rest, record by record, from where it stopped.
  for (const record of records) {
    if (written >= record.length) {
      written -= record.length;
      continue;
    }
    let done = written;
    written = 0;
    while (done < record.length) done += writeSync(fd, record, done);
  }
}

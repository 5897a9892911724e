import { scanRecords } from '../../shared/spool/scan.js';
import { decodeOp, type Op } from './ops.js';

export interface ParsedJournal {
  ops: Op[];
  /** End of the last whole, valid record: what follows (a record torn by the crash) is cut off. */
  validEnd: number;
  /** Bytes between valid records that were no record (damage), skipped. */
  damagedBytes: number;
  /** Valid records whose operation could not be read (damage the CRC missed, or a later version's). */
  unreadable: number;
}

/**
 * The operations of a journal file's bytes, read as the spool reads its segments (shared/spool/scan.ts):
 * damage between records is skipped and counted (the scan resynchronises on the next valid record),
 * a torn last record is left out, and nothing stops the read. Pure.
 */
export function parseJournal(buffer: Buffer): ParsedJournal {
  const { messages } = scanRecords(buffer, 0, buffer.length, Infinity);
  const ops: Op[] = [];
  let expected = 0;
  let damagedBytes = 0;
  let unreadable = 0;
  for (const message of messages) {
    damagedBytes += message.start - expected;
    expected = message.end;
    const op = decodeOp(message);
    if (op) ops.push(op);
    else unreadable++;
  }
  return { ops, validEnd: expected, damagedBytes, unreadable };
}

import { readdirSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * How much the outbox may hold, and in what segments (issue 25, item 2): what was asked
 * (NODE_OUTBOX_MAX_BYTES, else a week of readings) but never more than the card has room for, less a
 * reserve for the system (the journal, apt, the other files of DATA_DIR); and segments small enough
 * (a sixteenth of the cap) that whole-segment deletes keep disk use close to the cap. Pure.
 */

/** Left free for the rest of the system: 10 % of the filesystem, at most 64 MiB. */
export const RESERVE_FRACTION = 0.1;
export const RESERVE_MAX_BYTES = 64 << 20;
/** However full the card, the outbox may hold this much (it then drops the oldest unsent readings). */
export const MIN_OUTBOX_BYTES = 64 << 10;
const MIN_SEGMENT_BYTES = 16 << 10;
const MAX_SEGMENT_BYTES = 1 << 20;

export interface OutboxSizing {
  maxBytes: number;
  segmentBytes: number;
  /** What set the cap: the setting, a week of readings, or the free space. */
  limitedBy: 'NODE_OUTBOX_MAX_BYTES' | 'a week of readings' | 'free space';
  reserveBytes: number;
}

export function outboxSizing(disk: {
  configured: number;
  weekBytes: number;
  freeBytes: number;
  totalBytes: number;
  heldBytes: number;
}): OutboxSizing {
  const reserveBytes = Math.min(RESERVE_MAX_BYTES, Math.floor(disk.totalBytes * RESERVE_FRACTION));
  const room = Math.max(0, disk.freeBytes + disk.heldBytes - reserveBytes);
  const wanted = disk.configured > 0 ? disk.configured : disk.weekBytes;
  const byRoom = room < wanted;
  const maxBytes = Math.max(MIN_OUTBOX_BYTES, byRoom ? room : wanted);
  const segmentBytes = Math.min(MAX_SEGMENT_BYTES, Math.max(MIN_SEGMENT_BYTES, Math.floor(maxBytes / 16)));
  const limitedBy = byRoom ? 'free space' : disk.configured > 0 ? 'NODE_OUTBOX_MAX_BYTES' : 'a week of readings';
  return { maxBytes, segmentBytes, reserveBytes, limitedBy };
}

/** The free and total bytes of the filesystem holding `dir`, and what the outbox there holds already. */
export function diskOf(dir: string, parent: string): { freeBytes: number; totalBytes: number; heldBytes: number } {
  const fs = statfsSync(parent);
  let heldBytes = 0;
  try {
    for (const name of readdirSync(dir)) heldBytes += statSync(join(dir, name)).size;
  } catch {
    // a new outbox
  }
  const blockBytes = Number(fs.bsize);
  return { freeBytes: Number(fs.bavail) * blockBytes, totalBytes: Number(fs.blocks) * blockBytes, heldBytes };
}

import { open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Logger } from '../../shared/log.js';
import { snapshotOps, type MemoryStore, type StateIndex } from './apply.js';
import { encodeOp } from './ops.js';

/** Where a journal lives, and who hears that its directory could not be fsynced. */
export interface JournalFile {
  /** The journal file (DATA_DIR/broker/journal.log). */
  path: string;
  /** Its directory. */
  dir: string;
  log: Logger;
}

/**
 * Writes the live state as a new journal (temporary file, fsync, rename, fsync of the directory) and
 * returns its size and a handle to append to it, opened before the rename: once the new journal is in
 * place, nothing is ever appended to the old one (its name is gone; what went there would be lost).
 * If it fails before the rename, the old journal stays and the partial copy is removed.
 */
export async function writeSnapshot(
  memory: MemoryStore,
  index: StateIndex,
  journal: JournalFile,
): Promise<{ size: number; file: FileHandle }> {
  const ops = await snapshotOps(memory, index);
  const now = Date.now();
  const bytes = Buffer.concat(ops.map((op) => encodeOp(op, now)));
  const temporary = `${journal.path}.tmp`;
  let appendTo: FileHandle | undefined;
  try {
    await rm(temporary, { force: true, recursive: true });
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    appendTo = await open(temporary, 'a');
    await rename(temporary, journal.path);
  } catch (err) {
    // Nothing replaced: the old journal stays; the partial copy must not take the card's last space.
    await appendTo?.close().catch(() => {});
    await rm(temporary, { force: true, recursive: true }).catch(() => {});
    throw err;
  }
  // The rename is done: a directory that cannot be fsynced (EIO, no descriptors) is said, not undone.
  try {
    const dir = await open(journal.dir, 'r');
    await dir.sync().finally(() => dir.close());
  } catch (err) {
    journal.log.warn(
      { journal: journal.path, err: (err as Error).message },
      "could not fsync the broker journal's directory after compacting; " +
        'a power cut now may bring back the old journal',
    );
  }
  return { size: bytes.length, file: appendTo };
}

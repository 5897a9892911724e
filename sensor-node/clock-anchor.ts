import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';

/**
 * Boots whose anchor is kept: held readings older than this many boots ago cannot be dated. At 16, a
 * week's outage of the broker with daily-or-worse power cuts lost the first boot's readings; 256 take
 * about 25 KB, written once per boot.
 */
const KEEP_BOOTS = 256;
/** A save that failed (a full card) is tried again at most this often. */
const RETRY_MS = 60_000;
/**
 * KEEP_BOOTS anchors take at most about 30 KB: a larger file is not this program's, and is not read (a huge
 * one would stall start-up).
 */
const MAX_FILE_BYTES = 64 << 10;
/** A boot id is a UUID (or unknown-boot:UUID); a longer one is not this program's. */
const MAX_BOOT_CHARS = 64;
/** The largest magnitude a Date holds: an offset beyond it dates nothing. */
const MAX_DATE_MS = 8.64e15;

interface Anchor {
  boot: string;
  /** Wall time minus the system's monotonic time, in ms, as first seen once the clock was synchronised. */
  offsetMs: number;
}

/**
 * Each boot's tie between its monotonic clock and the wall, taken once, when its clock is first seen
 * synchronised, and kept on disk beside the outbox. A held reading is dated from it, so it gets the same
 * ts however often it is sent (a reconnect, a crash before the cursor was saved: ingest's key then
 * stores it once) and whatever the clock did since; and one held in an earlier boot whose clock did
 * synchronise (the broker away, then a power cut) can still be dated after the reboot.
 */
export class ClockAnchors {
  private anchors: Anchor[];
  private unsaved = false;
  private triedAt = 0;

  constructor(private readonly file: string) {
    this.anchors = readAnchors(file);
  }

  /** The boot's anchor, or undefined when none was taken (its clock never synchronised, or unknown here). */
  of(boot: string): number | undefined {
    if (this.unsaved && Date.now() - this.triedAt >= RETRY_MS) this.save();
    return this.anchors.find((a) => a.boot === boot)?.offsetMs;
  }

  /** Takes the boot's anchor unless it has one already (an earlier process of this boot took it); the one kept. */
  take(boot: string, offsetMs: number): number {
    const known = this.of(boot);
    if (known !== undefined) return known;
    this.anchors = [...this.anchors.filter((a) => a.boot !== boot), { boot, offsetMs }].slice(-KEEP_BOOTS);
    this.save();
    return offsetMs;
  }

  /** Atomically and durably (a power cut is why it is kept); a full card keeps it in memory and tries later. */
  private save(): void {
    this.triedAt = Date.now();
    const tmp = `${this.file}.tmp`;
    try {
      const fd = openSync(tmp, 'w');
      try {
        // writeFileSync writes on after a short write, so a card that fills midway throws ENOSPC here and the
        // old file stays (writeSync returned the short count, and the cut-off JSON replaced every anchor).
        writeFileSync(fd, JSON.stringify(this.anchors));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.file);
      this.unsaved = false;
    } catch {
      this.unsaved = true;
      try {
        rmSync(tmp, { force: true });
      } catch {
        // a read-only card: nothing was written either
      }
    }
  }
}

function readAnchors(file: string): Anchor[] {
  try {
    // Outside input (a damaged or foreign file): not waited on (a FIFO), its size checked before anything is read.
    const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    let text: string;
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return [];
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
    const parsed = JSON.parse(text) as unknown;
    if (!Array.isArray(parsed)) return [];
    return parsed
      .filter(
        (entry): entry is Anchor =>
          typeof entry?.boot === 'string' &&
          entry.boot.length <= MAX_BOOT_CHARS &&
          Number.isFinite(entry?.offsetMs) &&
          Math.abs(entry.offsetMs) <= MAX_DATE_MS,
      )
      .map(({ boot, offsetMs }) => ({ boot, offsetMs }))
      .slice(-KEEP_BOOTS);
  } catch {
    // None yet, or damaged: held readings of earlier boots cannot be dated (dropped and counted).
    return [];
  }
}

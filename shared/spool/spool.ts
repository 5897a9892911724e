import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { closeSync, fsync, fsyncSync, ftruncateSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquirePidLock, ensureDir } from '../pid-lock.js';
import { readRecords, type SegmentFile } from './read.js';
import { encodeRecord, type PositionedMessage, type SpooledMessage } from './record.js';
import { cutTornTail, listSegments, segmentPath, writeRecords } from './segments.js';

export interface SpoolOptions {
  dir: string;
  /** A segment is closed and a new one started past this size; whole segments are deleted once committed. */
  segmentBytes: number;
}

export interface SpoolRepair {
  /**
   * Bytes cut from the end of the last segment because they held no whole, valid record (torn by a power
   * cut, or damaged).
   */
  truncatedBytes: number;
  /** Why the lock file was taken over (its holder is gone: a power cut, a reboot), or null. */
  staleLock: string | null;
}

/** A stretch of the spool that held no valid record, found by a read and skipped: [from, to). */
export interface SpoolDamage {
  from: number;
  to: number;
  bytes: number;
  /** About how many records it held: its bytes over the size of the valid record after it; at least 1. */
  records: number;
}

export interface SpoolEvents {
  /** Once per stretch, the first time a read skips it; the owner logs it (the spool does not log). */
  damaged: [SpoolDamage];
}

/**
 * An append-only log of received messages, in segment files named by the position they start at.
 * A position is a byte offset in the log as a whole, so it only grows and one number says where
 * the database is up to.
 *
 * append() writes through to the operating system before it returns: once it has, a crash of this
 * process (kill -9) loses nothing; sync() makes it survive a power cut too. append(m, { defer: true })
 * keeps the record in memory until flush(), so the messages of one socket read go to the operating
 * system in one write; whoever defers must flush() before acknowledging them (ingest/intake.ts does).
 * Reading, syncing, rotating and closing flush first. Not safe for two processes: open() takes a lock
 * file. Segment files are named, listed, written and repaired at open by ./segments.ts.
 */
export class Spool extends EventEmitter<SpoolEvents> {
  private segments: SegmentFile[] = [];
  private fd = -1;
  private headPosition = 0;
  /** Records appended with `defer`, not yet written to the operating system. */
  private pending: Buffer[] = [];
  private dirty = false;
  /** The descriptor an fsync is under way on, and whether it must be closed when that ends. */
  private syncingFd = -1;
  private closeWhenSynced = false;
  private releaseLock: () => void = () => {};
  /**
   * Damage is counted up to here: a stretch read again (a resend, a retried batch) is not counted twice.
   */
  private damageCountedTo = 0;
  private readonly damage = { records: 0, bytes: 0 };

  private constructor(
    private readonly options: SpoolOptions,
    /** Identifies this spool, so a database position is never applied to another spool's files. */
    readonly id: string,
  ) {
    super();
  }

  static open(options: SpoolOptions): { spool: Spool; repair: SpoolRepair } {
    ensureDir(options.dir);
    let staleLock: string | null = null;
    const releaseLock = acquirePidLock(
      join(options.dir, 'lock'),
      `spool ${options.dir}`,
      (reason) => (staleLock = reason),
    );
    try {
      const idFile = join(options.dir, 'id');
      let id: string;
      try {
        id = readFileSync(idFile, 'utf8').trim();
      } catch {
        id = randomUUID();
        writeFileSync(idFile, id);
      }
      const spool = new Spool(options, id);
      spool.releaseLock = releaseLock;
      const repair = { ...spool.recover(), staleLock };
      return { spool, repair };
    } catch (err) {
      releaseLock();
      throw err;
    }
  }

  /** The first position still on disk. */
  get start(): number {
    return this.segments[0]?.base ?? this.headPosition;
  }

  /** The position just past the last appended message. */
  get head(): number {
    return this.headPosition;
  }

  /** Stretches of damage skipped by reads or cut off at open, since open (each lost one record or more). */
  get damagedRecords(): number {
    return this.damage.records;
  }

  /** Bytes of those stretches: what damage cost, since open. */
  get skippedBytes(): number {
    return this.damage.bytes;
  }

  /** Appends a message and returns the position just past it; with `defer`, written at the next flush(). */
  append(message: SpooledMessage, { defer = false }: { defer?: boolean } = {}): number {
    const record = encodeRecord(message);
    const current = this.segments.at(-1)!;
    if (this.headPosition - current.base >= this.options.segmentBytes) this.rotate();
    this.pending.push(record);
    this.headPosition += record.length;
    if (!defer) this.flush();
    return this.headPosition;
  }

  /**
   * Writes deferred records to the operating system, in one write when it takes them whole. Throws what
   * the write throws.
   */
  flush(): void {
    if (this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    const bytes = records.reduce((sum, record) => sum + record.length, 0);
    const segment = this.segments.at(-1)!;
    const before = this.headPosition - bytes;
    try {
      writeRecords(this.fd, records);
    } catch (err) {
      // Nothing of this write counts (its messages were not acknowledged): cut what part of it landed,
      // so the log ends on a whole record, and give the positions back.
      this.headPosition = before;
      try {
        ftruncateSync(this.fd, before - segment.base);
      } catch {
        // Recovery at the next open cuts a torn record anyway.
      }
      throw err;
    }
    this.dirty = true;
  }

  /** Flushes appended messages to the disk itself (fsync); cheap when nothing was appended. */
  async sync(): Promise<void> {
    this.flush();
    if (!this.dirty || this.syncingFd >= 0 || this.fd < 0) return;
    this.dirty = false;
    const fd = (this.syncingFd = this.fd);
    try {
      await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
    } finally {
      this.syncingFd = -1;
      // rotate() or close() ran meanwhile: the descriptor was left open for this fsync, so that it
      // could not be closed (and its number reused by another file) under it.
      if (this.closeWhenSynced) {
        this.closeWhenSynced = false;
        closeSync(fd);
      }
    }
  }

  /**
   * Reads up to `maxMessages` whole messages starting at `from` (normally a position a previous message
   * ended at). Damage (a record whose CRC fails, an impossible length, a `from` inside a record) is
   * skipped to the next valid record, counted and reported once by a `damaged` event; so a read returns
   * nothing only when no valid record lies between `from` and the head.
   */
  read(from: number, maxMessages: number): PositionedMessage[] {
    this.flush();
    return readRecords(this.segments, this.headPosition, from, maxMessages, (start, end, next) =>
      this.noteDamage(start, end, next));
  }

  /**
   * The start of the first segment after the one holding `position`, if any: where dropping that segment
   * leads.
   */
  segmentAfter(position: number): number | undefined {
    return this.segments.find((segment) => segment.base > position)?.base;
  }

  /** Deletes the segments that lie wholly before `position` (committed to the database). */
  release(position: number): void {
    while (this.segments.length > 1 && this.segments[1]!.base <= position) {
      rmSync(this.segments.shift()!.path, { force: true });
    }
  }

  /**
   * Everything up to the head is delivered: a new, empty segment takes the appends, and the old ones
   * are deleted, so a full disk gets back the space of what was already delivered (issue 25, item 2).
   * Returns whether anything was freed.
   */
  restartAtHead(): boolean {
    const current = this.segments.at(-1)!;
    if (this.headPosition === current.base && this.segments.length === 1) return false;
    if (this.headPosition > current.base) this.rotate();
    this.release(this.headPosition);
    return true;
  }

  /**
   * Starts the log at `position` when the spool holds nothing after it: the database is ahead of these
   * files (a new DATA_DIR, or spool files removed by hand), and positions must keep growing.
   */
  skipTo(position: number): void {
    if (position <= this.headPosition) return;
    this.rotate(position);
    this.release(position);
  }

  /** Syncs and closes the spool and releases its lock; safe to call twice. */
  close(): void {
    if (this.fd < 0) return;
    try {
      this.flush();
      fsyncSync(this.fd);
      this.closeFd(this.fd);
    } finally {
      this.fd = -1;
      this.releaseLock();
    }
  }

  private closeFd(fd: number): void {
    if (fd === this.syncingFd) this.closeWhenSynced = true;
    else closeSync(fd);
  }

  private noteDamage(from: number, to: number, nextRecordBytes = to - from): void {
    const fresh = to - Math.max(from, this.damageCountedTo);
    if (fresh <= 0) return;
    this.damageCountedTo = to;
    this.damage.records++;
    this.damage.bytes += fresh;
    const records = Math.max(1, Math.round((to - from) / nextRecordBytes));
    this.emit('damaged', { from, to, bytes: to - from, records });
  }

  private recover(): Omit<SpoolRepair, 'staleLock'> {
    this.segments = listSegments(this.options.dir);
    if (this.segments.length === 0) {
      this.segments.push({ base: 0, path: segmentPath(this.options.dir, 0) });
      this.fd = openSync(this.segments[0]!.path, 'a');
      return { truncatedBytes: 0 };
    }
    // Only the last segment can end in a torn record: earlier ones were synced before rotation. What
    // follows its last valid record is cut; damage before that is left for reads to skip, so the valid
    // records after it are kept.
    const last = this.segments.at(-1)!;
    const { size, validBytes } = cutTornTail(last.path);
    this.fd = openSync(last.path, 'a');
    this.headPosition = last.base + validBytes;
    if (validBytes < size) {
      this.damage.records++;
      this.damage.bytes += size - validBytes;
    }
    return { truncatedBytes: size - validBytes };
  }

  private rotate(base = this.headPosition): void {
    this.flush();
    fsyncSync(this.fd);
    this.closeFd(this.fd);
    const segment = { base, path: segmentPath(this.options.dir, base) };
    this.segments.push(segment);
    this.fd = openSync(segment.path, 'a');
    this.headPosition = base;
  }
}

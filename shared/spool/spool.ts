import { randomUUID } from 'node:crypto';
import { closeSync, fsync, fsyncSync, ftruncateSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { acquirePidLock, ensureDir } from '../pid-lock.js';
import { decodeRecords, encodeRecord, type PositionedMessage, type SpooledMessage } from './record.js';

export interface SpoolOptions {
  dir: string;
  /** A segment is closed and a new one started past this size; whole segments are deleted once committed. */
  segmentBytes: number;
}

interface Segment {
  base: number;
  path: string;
}

const SEGMENT_FILE = /^(\d{20})\.seg$/;
const segmentName = (base: number) => `${String(base).padStart(20, '0')}.seg`;
/** How much one read() pulls from disk at most; a batch is rarely larger. */
const READ_CHUNK_BYTES = 1 << 20;

export interface SpoolRepair {
  /** Bytes cut from the last segment because they held a torn or corrupt record. */
  truncatedBytes: number;
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
 * Reading, syncing, rotating and closing flush first. Not safe for two processes: open() takes a lock file.
 */
export class Spool {
  private segments: Segment[] = [];
  private fd = -1;
  private headPosition = 0;
  /** Records appended with `defer`, not yet written to the operating system. */
  private pending: Buffer[] = [];
  private dirty = false;
  /** The descriptor an fsync is under way on, and whether it must be closed when that ends. */
  private syncingFd = -1;
  private closeWhenSynced = false;
  private releaseLock: () => void = () => {};

  private constructor(
    private readonly options: SpoolOptions,
    /** Identifies this spool, so a database position is never applied to another spool's files. */
    readonly id: string,
  ) {}

  static open(options: SpoolOptions): { spool: Spool; repair: SpoolRepair } {
    ensureDir(options.dir);
    const releaseLock = acquirePidLock(join(options.dir, 'lock'), `spool ${options.dir}`);
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
      const repair = spool.recover();
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

  /** Writes deferred records to the operating system, in one write when it takes them whole. Throws what the write throws. */
  flush(): void {
    if (this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    const bytes = records.reduce((n, b) => n + b.length, 0);
    const segment = this.segments.at(-1)!;
    const before = this.headPosition - bytes;
    try {
      let written = records.length === 1 ? writeSync(this.fd, records[0]!) : writevSync(this.fd, records);
      // A short write (rare on a regular file): the rest, record by record, from where it stopped.
      for (const record of records) {
        if (written >= record.length) {
          written -= record.length;
          continue;
        }
        let done = written;
        written = 0;
        while (done < record.length) done += writeSync(this.fd, record, done);
      }
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

  /** Reads up to `maxMessages` whole messages starting at `from` (a position a previous message ended at). */
  read(from: number, maxMessages: number): PositionedMessage[] {
    this.flush();
    const index = this.segments.findLastIndex((s) => s.base <= from);
    const segment = this.segments[index];
    if (!segment || from >= this.headPosition || maxMessages < 1) return [];
    const segmentEnd = this.segments[index + 1]?.base ?? this.headPosition;
    const length = Math.min(READ_CHUNK_BYTES, segmentEnd - from);
    const buffer = Buffer.allocUnsafe(length);
    const fd = openSync(segment.path, 'r');
    try {
      let got = 0;
      while (got < length) {
        const n = readSync(fd, buffer, got, length - got, from - segment.base + got);
        if (n === 0) break;
        got += n;
      }
      const { messages } = decodeRecords(buffer.subarray(0, got), from, maxMessages);
      if (messages.length === 0 && got > 0) {
        // One record larger than a chunk: read exactly it.
        const bodyLength = buffer.readUInt32LE(0);
        const whole = Buffer.allocUnsafe(8 + bodyLength);
        readSync(fd, whole, 0, whole.length, from - segment.base);
        return decodeRecords(whole, from, 1).messages;
      }
      return messages;
    } finally {
      closeSync(fd);
    }
  }

  /** The start of the first segment after the one holding `position`, if any: where dropping that segment leads. */
  segmentAfter(position: number): number | undefined {
    return this.segments.find((s) => s.base > position)?.base;
  }

  /** Deletes the segments that lie wholly before `position` (committed to the database). */
  release(position: number): void {
    while (this.segments.length > 1 && this.segments[1]!.base <= position) {
      rmSync(this.segments.shift()!.path, { force: true });
    }
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

  private recover(): SpoolRepair {
    this.segments = readdirSync(this.options.dir)
      .map((name) => SEGMENT_FILE.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ base: Number(m[1]), path: join(this.options.dir, m[0]) }))
      .sort((a, b) => a.base - b.base);
    if (this.segments.length === 0) {
      this.segments.push({ base: 0, path: join(this.options.dir, segmentName(0)) });
      this.fd = openSync(this.segments[0]!.path, 'a');
      return { truncatedBytes: 0 };
    }
    // Only the last segment can end in a torn record: earlier ones were synced before rotation.
    const last = this.segments.at(-1)!;
    const size = statSync(last.path).size;
    const { validBytes } = decodeRecords(readFileSync(last.path), last.base);
    this.fd = openSync(last.path, 'r+');
    if (validBytes < size) {
      ftruncateSync(this.fd, validBytes);
      fsyncSync(this.fd);
    }
    closeSync(this.fd);
    this.fd = openSync(last.path, 'a');
    this.headPosition = last.base + validBytes;
    return { truncatedBytes: size - validBytes };
  }

  private rotate(base = this.headPosition): void {
    this.flush();
    fsyncSync(this.fd);
    this.closeFd(this.fd);
    const segment = { base, path: join(this.options.dir, segmentName(base)) };
    this.segments.push(segment);
    this.fd = openSync(segment.path, 'a');
    this.headPosition = base;
  }
}

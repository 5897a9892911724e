import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PositionedMessage } from '../shared/spool/record.js';
import { Spool, type SpoolRepair } from '../shared/spool/spool.js';

/** Readings lost to damage on disk: `count` is an estimate (a stretch's bytes over its neighbour's size). */
export interface OutboxNotice {
  what: string;
  count: number;
}

const DAMAGED = 'damaged outbox records (about; bytes in diag outboxDamage), skipped to the next valid reading';
const OVER_CAP = 'the oldest unsent readings, over the outbox cap (NODE_OUTBOX_MAX_BYTES)';
const NO_ROOM = 'the oldest unsent readings, to make room on a full disk';

/** A write that failed for want of space: room can be made by deleting what the outbox holds. */
export const isDiskFull = (err: unknown) => ['ENOSPC', 'EDQUOT'].includes((err as NodeJS.ErrnoException)?.code ?? '');

/** What became of a reading given to add(). */
export type Added = 'stored' | 'notStored';

export interface OutboxOptions {
  dir: string;
  /** Unsent bytes kept at most; past it the oldest unsent readings are dropped (and counted). */
  maxBytes: number;
  segmentBytes: number;
}

/**
 * Readings waiting for the broker, on disk and in order: the shared spool plus a cursor file that
 * says what the broker has acknowledged. Survives a restart of the node; a reading acknowledged but
 * not yet recorded in the cursor is sent again, which ingest's primary key makes harmless.
 */
/** The cursor file is rewritten at most this often: an SD card should not see a write per reading. */
const CURSOR_SAVE_INTERVAL_MS = 1000;

export class Outbox {
  private position: number;
  private droppedBytes = 0;
  private savedPosition: number;
  private savedAt = 0;
  /** What damage and repairs cost, not yet told to the node's log (see takeNotices). */
  private notices: OutboxNotice[] = [];

  /** Why the lock was taken over at open (its holder is gone), or null: for the log. */
  readonly staleLock: string | null;

  private constructor(
    private readonly spool: Spool,
    private readonly options: OutboxOptions,
    repair: SpoolRepair,
  ) {
    this.staleLock = repair.staleLock;
    // A cursor inside a record (a damaged cursor file) is fine: reading resynchronises to the next record.
    this.position = Math.min(Math.max(readCursor(options.dir) ?? spool.start, spool.start), spool.head);
    this.savedPosition = this.position;
    if (repair.truncatedBytes > 0) {
      const what = `a torn or damaged end of the outbox (${repair.truncatedBytes} bytes), cut off at start`;
      this.notices.push({ what, count: 1 });
    }
    // One `what` for all damage, so the log tells the first at once and summarises the rest.
    spool.on('damaged', ({ records }) => this.notices.push({ what: DAMAGED, count: records }));
  }

  static open(options: OutboxOptions): Outbox {
    const { spool, repair } = Spool.open({ dir: options.dir, segmentBytes: options.segmentBytes });
    return new Outbox(spool, options, repair);
  }

  /** The outbox's directory (its lock is held: what else the node keeps there is its own). */
  get dir(): string {
    return this.options.dir;
  }

  /** Position up to which the broker has everything. */
  get cursor(): number {
    return this.position;
  }

  get pendingBytes(): number {
    return this.spool.head - this.position;
  }

  /** Bytes of unsent readings dropped because the outbox was full, since start. */
  get dropped(): number {
    return this.droppedBytes;
  }

  /**
   * Stores a reading, and keeps the cap to within a reading: past it, the oldest unsent ones are
   * dropped (counted, and told in takeNotices). When the disk is full (issue 25, item 2), room is made
   * first from what was already delivered, then, with `mayDrop` (the broker is away), from the oldest
   * unsent readings; `notStored` when no room could be made (the node then sends it straight through,
   * or it is lost). Other write errors (a read-only or failing card) are `notStored` at once; `lastError` says which.
   */
  add(topic: string, payload: Buffer, { mayDrop = true }: { mayDrop?: boolean } = {}): Added {
    for (;;) {
      try {
        this.spool.append({ receivedAt: Date.now(), topic, payload });
        this.lastError = null;
        break;
      } catch (err) {
        this.lastError = err as NodeJS.ErrnoException;
        if (!isDiskFull(err) || !this.makeRoom(mayDrop)) return 'notStored';
      }
    }
    this.dropOldest(this.options.maxBytes, OVER_CAP);
    return 'stored';
  }

  /** Why the last add() could not store, or null: for the log. */
  lastError: NodeJS.ErrnoException | null = null;

  /**
   * Space from what is delivered, else (if allowed) by dropping the oldest unsent readings, a segment's
   * worth at a time.
   */
  private makeRoom(mayDrop: boolean): boolean {
    if (this.pendingBytes === 0) return this.spool.restartAtHead();
    if (!mayDrop) return false;
    const next = this.spool.segmentAfter(this.position) ?? this.spool.head;
    this.dropOldest(this.spool.head - next, NO_ROOM);
    // Deleted now, even if the cursor cannot be saved on the full disk: a restart starts at the first segment left.
    this.spool.release(this.position);
    return this.pendingBytes === 0 ? this.spool.restartAtHead() : true;
  }

  /** Drops the oldest unsent readings, reading by reading, until at most `keep` bytes are unsent. */
  private dropOldest(keep: number, what: string): void {
    let count = 0;
    const from = this.position;
    while (this.pendingBytes > keep) {
      const [oldest] = this.spool.read(this.position, 1);
      this.ack(oldest?.end ?? this.spool.head);
      count++;
    }
    if (count === 0) return;
    this.droppedBytes += this.position - from;
    this.notices.push({ what, count });
  }

  /** Stretches of damaged outbox skipped or cut off since start (each one reading or more), and their bytes. */
  get damage(): { records: number; bytes: number } {
    return { records: this.spool.damagedRecords, bytes: this.spool.skippedBytes };
  }

  /** What damage and start-up repairs cost since the last call, for the log: readings lost, about. */
  takeNotices(): OutboxNotice[] {
    return this.notices.splice(0);
  }

  /**
   * Up to `max` messages starting at `from` (a cursor or the end of an earlier message). Damage is
   * skipped to the next valid reading; when nothing but damage is left, the cursor moves past it.
   */
  read(from: number, max: number): PositionedMessage[] {
    const start = Math.max(from, this.position);
    const messages = this.spool.read(start, max);
    const onlyDamageLeft = messages.length === 0 && max > 0 && start === this.position && this.spool.head > start;
    if (onlyDamageLeft) this.ack(this.spool.head);
    return messages;
  }

  /**
   * The broker has everything before `position`. Saved at most once a second, and on close: after a
   * crash, what was acknowledged in that second is sent again, which ingest's key makes harmless.
   */
  ack(position: number): void {
    if (position <= this.position) return;
    this.position = position;
    if (Date.now() - this.savedAt >= CURSOR_SAVE_INTERVAL_MS) this.saveCursor();
  }

  /**
   * Saves the cursor and closes the spool (releasing its lock), also when the disk is full: the cursor
   * then stays as last saved, and what the broker had since is sent again at the next start.
   */
  close(): void {
    try {
      this.saveCursor();
    } finally {
      this.spool.close();
    }
  }

  /** Writes the cursor (atomically, by rename); a full disk keeps the last one saved, and tries again later. */
  private saveCursor(): void {
    if (this.position === this.savedPosition) return;
    const file = join(this.options.dir, 'cursor');
    try {
      writeFileSync(`${file}.tmp`, String(this.position));
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      this.lastError = err as NodeJS.ErrnoException;
      rmSync(`${file}.tmp`, { force: true });
      this.savedAt = Date.now();
      return;
    }
    this.savedPosition = this.position;
    this.savedAt = Date.now();
    this.spool.release(this.position);
  }
}

function readCursor(dir: string): number | undefined {
  try {
    const value = Number(readFileSync(join(dir, 'cursor'), 'utf8'));
    return Number.isSafeInteger(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

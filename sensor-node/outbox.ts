import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PositionedMessage } from '../shared/spool/record.js';
import { Spool, type SpoolRepair } from '../shared/spool/spool.js';

/** Readings lost to damage on disk: `count` is an estimate (a stretch's bytes over its neighbour's size). */
export interface OutboxNotice {
  what: string;
  count: number;
}

const DAMAGED = 'damaged outbox records (about; bytes in diag outboxDamage), skipped to the next valid reading';

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
      this.notices.push({ what: `a torn or damaged end of the outbox (${repair.truncatedBytes} bytes), cut off at start`, count: 1 });
    }
    // One `what` for all damage, so the log tells the first at once and summarises the rest.
    spool.on('damaged', ({ records }) => this.notices.push({ what: DAMAGED, count: records }));
  }

  static open(options: OutboxOptions): Outbox {
    const { spool, repair } = Spool.open({ dir: options.dir, segmentBytes: options.segmentBytes });
    return new Outbox(spool, options, repair);
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

  add(topic: string, payload: Buffer): void {
    this.spool.append({ receivedAt: Date.now(), topic, payload });
    while (this.pendingBytes > this.options.maxBytes) {
      const next = this.spool.segmentAfter(this.position);
      if (next === undefined) break;
      this.droppedBytes += next - this.position;
      this.ack(next);
    }
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
    if (messages.length === 0 && max > 0 && start === this.position && this.spool.head > start) this.ack(this.spool.head);
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

  close(): void {
    this.saveCursor();
    this.spool.close();
  }

  private saveCursor(): void {
    if (this.position === this.savedPosition) return;
    const file = join(this.options.dir, 'cursor');
    writeFileSync(`${file}.tmp`, String(this.position));
    renameSync(`${file}.tmp`, file);
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

import { open, type FileHandle } from 'node:fs/promises';
import { WriteOutcomes } from './outcomes.js';

interface Pending {
  record: Buffer;
  /** Its number: records are numbered in the order they were handed in (outcomes.ts). */
  seq: number;
}

export interface WriterOptions {
  /**
   * How often written records are fsynced; a power cut loses at most this window, a process crash
   * nothing.
   */
  fsyncIntervalMs: number;
  /**
   * Told once when a write fails (a full disk) and once when writes succeed again and none failed for
   * `quietMs`: a full disk lets small writes through between failed ones (the space a failed
   * write gave back), and each publisher's reconnect fails again; without the wait, every try would log
   * a failure and a recovery.
   */
  onFailure(err: Error): void;
  onRecovery(): void;
  /** How long writes must go without a failure, after one succeeded, to count as recovery; default 5 s. */
  quietMs?: number;
}

/**
 * Appends records to one file: every record handed in during a tick, or while the previous write was
 * under way, goes out in one write. An append resolves only once its bytes are in the file (the
 * kernel's page cache: a process crash keeps them); a quiet append has no promise, and `settled`
 * says when everything handed in since a mark is written. A failed write rejects its records and cuts
 * the file back to where it was, so no torn record is left between whole ones. fsync runs on a
 * cadence, not per write.
 */
export class JournalWriter {
  private pending: Pending[] = [];
  /** The number of the last record handed in. */
  private appended = 0;
  private readonly outcomes = new WriteOutcomes();
  /** Every write and every `between` run, one after another. */
  private chain: Promise<void> = Promise.resolve();
  private scheduled = false;
  private dirty = false;
  private failing = false;
  private lastFailure = 0;
  private lastSuccess = 0;
  private recovery: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  private constructor(private file: FileHandle, public size: number, private readonly options: WriterOptions) {
    this.timer = setInterval(() => void this.sync().catch(() => {}), options.fsyncIntervalMs);
    this.timer.unref();
  }

  static async open(path: string, options: WriterOptions): Promise<JournalWriter> {
    const file = await open(path, 'a');
    const { size } = await file.stat();
    return new JournalWriter(file, size, options);
  }

  append(record: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the broker journal is closed'));
    const from = this.appended;
    this.appendQuietly(record);
    return this.settled(from);
  }

  /** Hands a record in without a promise of its own: `settled` says when it is in the file. */
  appendQuietly(record: Buffer): void {
    if (this.closed) throw new Error('the broker journal is closed');
    this.pending.push({ record, seq: ++this.appended });
    this.schedule();
  }

  /** False from a failed write until writes have gone `quietMs` without failing (what onRecovery says). */
  get writable(): boolean {
    return !this.failing;
  }

  /** The number of the last record handed in, for `settled`. */
  get mark(): number {
    return this.appended;
  }

  /** Resolves once every record handed in after `from` until now is in the file; rejects if one failed. */
  settled(from: number): Promise<void> {
    return this.outcomes.settled(from, this.appended);
  }

  /**
   * Runs `fn` between two writes, with nothing written meanwhile, once what was handed in before is
   * written; what is appended meanwhile waits. `fn` may swap the file (compaction): it gets the current
   * one and returns the one to go on with.
   */
  between(fn: (file: FileHandle, size: number) => Promise<{ file: FileHandle; size: number }>): Promise<void> {
    const run = this.chain.then(() => this.flush()).then(async () => {
      const next = await fn(this.file, this.size);
      this.file = next.file;
      this.size = next.size;
    });
    this.chain = run.catch(() => {});
    return run;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.chain = this.chain.then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const bytes = batch.length === 1 ? batch[0]!.record : Buffer.concat(batch.map((p) => p.record));
    try {
      let written = 0;
      while (written < bytes.length) written += (await this.file.write(bytes, written)).bytesWritten;
      this.size += bytes.length;
      this.dirty = true;
      this.lastSuccess = Date.now();
      if (this.failing) this.recoverLater();
      this.outcomes.report(batch[0]!.seq, batch.at(-1)!.seq);
    } catch (err) {
      await this.file.truncate(this.size).catch(() => {});
      this.failed(err as Error);
      this.outcomes.report(batch[0]!.seq, batch.at(-1)!.seq, err as Error);
    }
  }

  /** Says "recovered" once a write has succeeded and none failed for `quietMs` since the last failure. */
  private recoverLater(): void {
    if (this.recovery) return;
    const quietMs = this.options.quietMs ?? 5000;
    this.recovery = setTimeout(() => {
      this.recovery = undefined;
      if (!this.failing) return;
      // Failed again since: wait from that failure, if a write has succeeded after it (the writes
      // after the disk was freed may all be done before this fires).
      if (Date.now() - this.lastFailure < quietMs) {
        if (this.lastSuccess > this.lastFailure) this.recoverLater();
        return;
      }
      this.failing = false;
      this.options.onRecovery();
    }, Math.max(0, this.lastFailure + quietMs - Date.now()));
    this.recovery.unref();
  }

  /** fsyncs what was written since the last time. */
  async sync(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await this.file.datasync();
    } catch (err) {
      this.dirty = true; // tried again at the next tick
      // Where space runs out only at writeback (NFS, thin provisioning), fsync is the first to know:
      // said and shown as a failed write, though what it covered was acknowledged already.
      this.failed(err as Error);
      throw err;
    }
  }

  private failed(err: Error): void {
    this.lastFailure = Date.now();
    if (this.failing) return;
    this.failing = true;
    this.options.onFailure(err);
  }

  /** Writes what is pending, fsyncs and closes the file; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.recovery);
    this.chain = this.chain.then(() => this.flush()).then(async () => {
      await this.sync().catch(() => {});
      await this.file.close();
      this.outcomes.abandon(new Error('the broker journal is closed'));
    });
    return this.chain;
  }
}

/**
 * Which of the journal's records are in the file. Records are numbered in the order they were handed
 * to the writer, and the writer reports each write, in that order, as written or failed. `settled`
 * answers "is every record handed in after mark `from`, up to `to`, in the file?": what a PUBACK waits
 * for (ack-after-store.ts), without each record carrying a promise of its own. Pure: no I/O, no clock.
 */
export class WriteOutcomes {
  /** Every record up to this number has been written or has failed. */
  private processed = 0;
  /** Numbers of records whose write failed, as inclusive ranges, oldest first. */
  private readonly failed: Array<[number, number]> = [];
  private lastError: Error | undefined;
  private waiters: Array<{ from: number; to: number; resolve: () => void; reject: (err: Error) => void }> = [];

  /**
   * @param keep how far back failed ranges are remembered, in records: a publish's records are all
   *   handed in within one tick, so a mark that old is never asked about.
   */
  constructor(private readonly keep = 1_000_000) {}

  /** Records `first`..`last` were written (`err` undefined) or their write failed. */
  report(first: number, last: number, err?: Error): void {
    this.processed = last;
    if (err) {
      this.lastError = err;
      const previous = this.failed.at(-1);
      if (previous && previous[1] === first - 1) previous[1] = last;
      else this.failed.push([first, last]);
    }
    while (this.failed.length > 0 && this.failed[0]![1] < last - this.keep) this.failed.shift();
    if (this.waiters.length === 0) return;
    const waiting: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (waiter.to > this.processed) waiting.push(waiter);
      else this.settle(waiter.from, waiter.to, waiter.resolve, waiter.reject);
    }
    this.waiters = waiting;
  }

  /** Resolves once records `from`+1..`to` are all processed; rejects with the write's error if one failed. */
  settled(from: number, to: number): Promise<void> {
    if (to <= from) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (to <= this.processed) this.settle(from, to, resolve, reject);
      else this.waiters.push({ from, to, resolve, reject });
    });
  }

  /** Fails whatever still waits (the journal closed before writing it). */
  abandon(err: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(err);
  }

  private settle(from: number, to: number, resolve: () => void, reject: (err: Error) => void): void {
    const failed = this.failed.some(([a, b]) => a <= to && b > from);
    if (failed) reject(this.lastError ?? new Error('the broker journal could not be written'));
    else resolve();
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs, DEFAULT_BACKOFF, type BackoffOptions } from '../shared/backoff.js';
import { classifyDbError } from '../shared/db-errors.js';
import { safeText } from '../shared/text.js';
import type { Item } from './batcher.js';
import { toRows } from './rows.js';
import type { BatchStore, SpoolProgress } from './store.js';

/** Thrown out of commit() when stop's deadline comes before the batch is written; it stays in the spool. */
export class StopDeadline extends Error {
  constructor() {
    super('stopped before the batch could be written; it stays in the spool');
  }
}

/** How a message the database refused is stored instead, one step further each time that fails too. */
type Fallback = 'as-is' | 'rejected' | 'rejected-plain' | 'skipped';
/** The step after each; a rejection refused as it is goes straight to its plain form. */
const NEXT_FALLBACK: Record<Fallback, Exclude<Fallback, 'as-is'>> = {
  'as-is': 'rejected', rejected: 'rejected-plain', 'rejected-plain': 'skipped', skipped: 'skipped',
};

export interface CommitterEvents {
  writeFailed(info: { err: unknown; attempt: number; retryInMs: number }): void;
  /** The database refused one message; it is stored as a rejection (or, at the last step, skipped). */
  isolated(info: { topic: string; error: string; storedAs: Exclude<Fallback, 'as-is'> }): void;
}

export interface CommitterOptions {
  store: BatchStore;
  /** Where each batch's position is recorded: the worker and its spool. */
  worker: string;
  spoolId: () => string;
  backoff?: BackoffOptions;
  events: CommitterEvents;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Node's abortable timer, its AbortError turned into StopDeadline. */
const abortableSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  sleep(ms, undefined, { signal }).catch((err: unknown) => {
    throw signal.aborted ? new StopDeadline() : err;
  });

/**
 * Writes batches over a BatchStore: the rows and the spool position after them in one transaction.
 *
 * A transient failure (shared/db-errors.ts) is retried with backoff until it succeeds or stop() gives
 * up. Any other failure is the batch's fault: it is split in halves until the offending message is
 * alone, and that message is stored as a rejection with the database's words; if even that is
 * refused, as a plain rejection with its topic hex-encoded; if that is refused too, it is skipped (only
 * the position is written) and reported. So no content is ever retried forever.
 */
export class Committer {
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private aborter = new AbortController();

  constructor(private readonly options: CommitterOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
  }

  /** Makes a commit waiting to retry (or waiting on the database) give up with StopDeadline. */
  abort(): void {
    this.aborter.abort();
  }

  /** Writes `items`; resolves with them as stored (rejections included), in order. */
  async commit(items: Item[]): Promise<Array<Item & { fallback?: Fallback }>> {
    const stored: Array<Item & { fallback?: Fallback }> = [];
    await this.write(items.map((item) => ({ ...item, fallback: 'as-is' as Fallback })), stored);
    return stored;
  }

  private async write(
    items: Array<Item & { fallback: Fallback }>, stored: Array<Item & { fallback?: Fallback }>,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (this.aborter.signal.aborted) throw new StopDeadline();
      const progress: SpoolProgress = {
        worker: this.options.worker, spoolId: this.options.spoolId(), position: items.at(-1)!.message.end,
      };
      const entries = items.filter((i) => i.fallback !== 'skipped').map((i) => i.entry);
      try {
        await this.race(this.options.store.write(toRows(entries), progress));
        stored.push(...items);
        return;
      } catch (err) {
        if (err instanceof StopDeadline) throw err;
        // A write that holds nothing of the message's is never the message's fault.
        const kind = items.every((i) => i.fallback === 'skipped') ? 'transient' : classifyDbError(err);
        if (kind === 'permanent') {
          if (items.length > 1) {
            const half = Math.ceil(items.length / 2);
            await this.write(items.slice(0, half), stored);
            await this.write(items.slice(half), stored);
            return;
          }
          items = [this.fallBack(items[0]!, err)];
          attempt = 0;
          continue;
        }
        const retryInMs = backoffMs(attempt, this.options.backoff ?? DEFAULT_BACKOFF);
        this.options.events.writeFailed({ err, attempt, retryInMs });
        await this.sleep(retryInMs, this.aborter.signal);
      }
    }
  }

  /**
   * Waits for `write`, or gives up when aborted (the write itself may still finish; the spool keeps the
   * batch either way).
   */
  private race(write: Promise<void>): Promise<void> {
    const signal = this.aborter.signal;
    if (signal.aborted) return Promise.reject(new StopDeadline());
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(new StopDeadline());
      signal.addEventListener('abort', onAbort, { once: true });
      write.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private fallBack(item: Item & { fallback: Fallback }, err: unknown): Item & { fallback: Fallback } {
    const error = describeError(err);
    const { message, entry } = item;
    const next = item.fallback === 'as-is' && entry.kind === 'rejected'
      ? 'rejected-plain' : NEXT_FALLBACK[item.fallback];
    this.options.events.isolated({ topic: safeText(message.topic, 200), error, storedAs: next });
    const receivedAt = entry.receivedAt;
    switch (next) {
      case 'rejected':
        return {
          message,
          fallback: next,
          entry: {
            kind: 'rejected', source: entry.source, topic: message.topic, payload: message.payload,
            code: 'database', reason: `the database refused this message: ${error}`, receivedAt,
          },
        };
      case 'rejected-plain':
        // Nothing of the sender's text is left in the row but the bytes: the topic as hex, a fixed reason.
        return {
          message,
          fallback: next,
          entry: {
            kind: 'rejected',
            source: entry.source,
            topic: `hex:${Buffer.from(message.topic).toString('hex').slice(0, 1000)}`,
            payload: message.payload,
            code: entry.kind === 'rejected' ? entry.code : 'database',
            reason: `storing this message failed (${safeText(error, 200)}); its topic is shown hex-encoded`,
            receivedAt: Number.isFinite(receivedAt.getTime()) ? receivedAt : new Date(this.now()),
          },
        };
      case 'skipped':
        return { ...item, fallback: next };
    }
  }
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return safeText(typeof code === 'string' ? `${err.message} (${code})` : err.message, 300);
  }
  return safeText(String(err), 300);
}

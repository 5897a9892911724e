import { EventEmitter } from 'node:events';
import { deviceKeyOf, subscriptionsOf } from '../shared/sources/decode.js';
import type { Spool } from '../shared/spool/spool.js';
import { batchRowsFor, isFull, nextFlush, rowsOf, takeBatch, type FlushState, type Item } from './batcher.js';
import { Committer, StopDeadline } from './committer.js';
import { rowCount } from './entries.js';
import { Intake } from './intake.js';
import { owns } from '../shared/partition.js';
import { FirstSeen } from './first-seen.js';
import { SeriesQuota } from './series-quota.js';
import { emptyStats, type IngestEvents, type IngestStats } from './worker-events.js';
import type { IngestOptions } from './worker-options.js';

export type { IngestEvents, IngestStats, SourceCounts } from './worker-events.js';
export type { IngestOptions } from './worker-options.js';

/**
 * The ingest worker: intake (broker → spool, PUBACK after the append), a batcher (when to write, what
 * goes in a batch) and a committer (retry, split, isolate). Every message is appended to the local
 * spool before it is acknowledged, and batches are read back from the spool and committed together
 * with the spool position they reach; so an acknowledged reading is in the database exactly once,
 * whatever crashes in between.
 *
 * start() replays what the database lacks, then subscribes; if it fails, what it opened is closed.
 * stop({timeoutMs}) stops reading, writes what it can by the deadline (the rest stays in the spool for
 * the next start), closes the spool and resolves by the deadline, whatever the database does; safe to
 * call twice, never rejects. Core events are emitted; the entry point decides what to log.
 */
export class IngestWorker extends EventEmitter<IngestEvents> {
  readonly stats: IngestStats = emptyStats();
  private readonly renamed = new FirstSeen(10_000);
  /** Spool position up to which the database has everything. */
  private cursor = 0;
  /** The spool head at start: messages before it that were committed after start were replayed. */
  private replayUntil = 0;
  private readonly flushState: FlushState = { backlogMessages: 0, rowsPerMessage: 1, oldestWaitingSince: undefined };
  private flushing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private syncTimer?: NodeJS.Timeout;
  private stopping?: Promise<void>;
  private readonly now: () => number;
  private readonly spool: Spool;
  private readonly intake: Intake;
  private readonly committer: Committer;
  private readonly quota?: SeriesQuota;

  constructor(private readonly options: IngestOptions) {
    super();
    this.now = options.now ?? Date.now;
    this.spool = options.spool;
    if (options.maxNewSeriesPerDevicePerHour) this.quota = new SeriesQuota(options.maxNewSeriesPerDevicePerHour);
    const partition = options.partition ?? { index: 0, count: 1 };
    const sources = options.sources ?? [];
    const subscriptions = subscriptionsOf(sources)
      .map((f) => (options.shareGroup ? `$share/${options.shareGroup}/${f}` : f));
    this.intake = new Intake({
      url: options.url,
      clientId: options.clientId,
      username: options.username,
      password: options.password,
      subscriptions,
      connect: options.connect,
      accept: (topic, payload, deferred) => {
        if (partition.count > 1 && !owns(partition, deviceKeyOf(sources, topic))) {
          this.stats.skipped++;
          return true;
        }
        this.accept(topic, payload, deferred);
        return this.hasRoom();
      },
      flush: () => this.spool.flush(),
    });
    this.intake.on('subscribed', () => this.emit('connected'));
    this.intake.on('disconnected', () => this.emit('disconnected'));
    this.intake.on('brokerError', (err) => this.emit('brokerError', err));
    this.intake.on('brokerSwitched', (event) =>
      this.emit('brokerSwitched', { ...event, switches: ++this.stats.brokerSwitches }));
    this.intake.on('flushFailed', (err) => this.emit('failed', {
      during: 'writing received messages to the spool (not acknowledged: the broker sends them again)', err,
    }));
    this.intake.on('subscribeRefused', (info) => {
      this.stats.subscribeRefused++;
      this.emit('subscribeRefused', info);
    });
    this.committer = new Committer({
      store: options.store,
      worker: options.clientId,
      spoolId: () => this.spool.id,
      backoff: options.backoff,
      now: this.now,
      events: {
        writeFailed: (info) => this.emit('writeFailed', info),
        isolated: (info) => this.emit('isolated', info),
      },
    });
  }

  /** Spooled bytes not yet in the database. */
  get backlogBytes(): number {
    return this.spool.head - this.cursor;
  }

  /** Damaged stretches of the spool skipped or cut off since start (each one message or more), and their bytes. */
  get spoolDamage(): { records: number; bytes: number } {
    return { records: this.spool.damagedRecords, bytes: this.spool.skippedBytes };
  }

  /** Connected to the broker (it may still have refused the subscription: see `subscribed`). */
  get brokerConnected(): boolean {
    return this.intake.connected;
  }

  /** Connected and subscribed: readings can arrive. */
  get subscribed(): boolean {
    return this.intake.subscribed;
  }

  async start(): Promise<void> {
    const { spool, clientId } = this.options;
    try {
      const committed = await this.options.store.committedPosition(clientId, spool.id);
      // Before the replay: the series the database has are not new, and its last hour counts.
      if (this.quota) this.quota.seed((await this.options.store.knownSeries?.()) ?? [], this.now());
      if (committed !== null && committed > spool.head) spool.skipTo(committed);
      this.cursor = Math.max(committed ?? 0, spool.start);
      this.replayUntil = spool.head;
      if (this.backlogBytes > 0) {
        this.flushState.backlogMessages = Infinity;
        this.emit('replaying', { bytes: this.backlogBytes });
        this.schedule();
      }
      const sync = () => spool.sync().catch((err: Error) => this.emit('syncFailed', err));
      this.syncTimer = setInterval(sync, this.options.syncIntervalMs);
      await this.intake.start();
    } catch (err) {
      await this.stop({ timeoutMs: 0 });
      throw err;
    }
  }

  stop({ timeoutMs = 10_000 } = {}): Promise<void> {
    this.stopping ??= this.shutdown(timeoutMs);
    return this.stopping;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    const deadline = this.now() + timeoutMs;
    const giveUp = setTimeout(() => this.committer.abort(), timeoutMs);
    try {
      clearTimeout(this.timer);
      clearInterval(this.syncTimer);
      // Held messages are already spooled: acknowledging them is safe.
      await this.intake.stop({ timeoutMs: Math.min(2000, timeoutMs) });
      await this.flushing?.catch(() => {});
      if (this.now() < deadline) await this.drain(true);
    } catch (err) {
      if (!(err instanceof StopDeadline)) this.emit('failed', { during: 'stop', err });
    } finally {
      clearTimeout(giveUp);
      this.committer.abort();
      try {
        this.spool.close();
      } catch (err) {
        this.emit('failed', { during: 'closing the spool', err });
      }
    }
  }

  private hasRoom(): boolean {
    return this.backlogBytes < this.options.spoolMaxBytes;
  }

  private accept(topic: string, payload: Buffer, deferred: boolean): void {
    const now = this.now();
    this.spool.append({ receivedAt: now, topic, payload }, { defer: deferred });
    this.stats.messages++;
    this.flushState.backlogMessages++;
    this.flushState.oldestWaitingSince ??= now;
    this.schedule();
  }

  private schedule(): void {
    if (this.flushing || this.stopping || this.backlogBytes === 0) return;
    const next = nextFlush(this.flushState, this.options, this.now());
    if (next.at === 'now') {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.startFlush();
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.startFlush();
      }, next.inMs);
    }
  }

  private startFlush(): void {
    this.flushing = this.drain(false)
      .catch((err: unknown) => {
        // StopDeadline: stop() gave up on this batch; it stays in the spool.
        if (!(err instanceof StopDeadline)) this.emit('failed', { during: 'flush', err });
      })
      .finally(() => {
        this.flushing = undefined;
        this.schedule();
      });
  }

  /** Commits one batch, and more while full ones wait (or everything, when `all`). */
  private async drain(all: boolean): Promise<void> {
    do {
      const batch = this.nextBatch();
      if (batch.length === 0) return;
      const started = this.now();
      const stored = await this.committer.commit(batch);
      this.committed(stored);
      this.emit('flushed', { rows: rowsOf(batch), messages: batch.length, ms: this.now() - started });
    } while (all || isFull(this.flushState, this.options));
  }

  private nextBatch(): Item[] {
    const rows = batchRowsFor(this.flushState, this.options);
    const items = takeBatch(this.spool.read(this.cursor, rows), rows, this.options.limits, this.options.sources);
    if (items.length > 0) {
      this.flushState.rowsPerMessage = rowsOf(items) / items.length;
      // Whatever arrives from now on waits for the next batch; older messages left behind keep their age.
      if (items.at(-1)!.message.end === this.spool.head) this.flushState.oldestWaitingSince = undefined;
    } else {
      // Only damage up to the head (the spool skips it once a message follows): nothing waits.
      this.flushState.backlogMessages = 0;
      this.flushState.oldestWaitingSince = undefined;
    }
    return this.quota ? items.map((item) => this.admit(this.quota!, item)) : items;
  }

  /** Decided once, when the message is taken into a batch: a retried or split batch keeps the decision. */
  private admit(quota: SeriesQuota, item: Item): Item {
    const { item: admitted, created, refused, reached } = quota.admit(item);
    this.stats.seriesCreated += created;
    this.stats.seriesRefused += refused;
    if (reached) this.emit('seriesQuotaReached', { ...reached, limit: quota.limit });
    return admitted;
  }

  private committed(items: Array<Item & { fallback?: string }>): void {
    const position = items.at(-1)!.message.end;
    this.cursor = position;
    this.flushState.backlogMessages = this.cursor === this.spool.head
      ? 0 : Math.max(0, this.flushState.backlogMessages - items.length);
    this.spool.release(position);
    this.stats.batches++;
    for (const { entry, message, fallback } of items) {
      if (message.end <= this.replayUntil) this.stats.replayed++;
      const counts = (this.stats.bySource[entry.source] ??= { stored: 0, rejected: 0, ignored: 0 });
      if (fallback === 'skipped') this.stats.dropped++;
      else if (entry.kind === 'rejected') {
        this.stats.rejected++;
        counts.rejected++;
        this.emit('rejected', { topic: entry.topic, code: entry.code, reason: entry.reason, source: entry.source });
      } else if (entry.kind === 'ignored') {
        counts.ignored++;
      } else {
        counts.stored++;
        this.stats.rowsWritten += rowCount(entry);
        if (entry.renamed && this.renamed.add(`${entry.source}\u0000${entry.renamed.name}`)) {
          this.emit('renamed', { source: entry.source, ...entry.renamed, count: ++this.stats.renamedNames });
        }
        if (entry.kind === 'readings' && entry.refused) {
          this.stats.rejected++;
          const { topic, code, reason } = entry.refused;
          this.emit('rejected', { topic, code, reason, source: entry.source });
        }
      }
    }
    this.intake.release(() => this.hasRoom());
  }
}

import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { INGEST_SUBSCRIPTION, type RejectionCode, type ValidationLimits } from '../shared/contract.js';
import { backoffMs, DEFAULT_BACKOFF, type BackoffOptions } from '../shared/backoff.js';
import { classify, rowCount, type Entry } from './entries.js';
import { owns, type Partition } from './partition.js';
import { classifyWriteError } from './retryable.js';
import { toRows } from './rows.js';
import type { PositionedMessage } from '../shared/spool/record.js';
import type { Spool } from '../shared/spool/spool.js';
import type { BatchStore } from './store.js';

export interface IngestOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  batchMaxRows: number;
  flushIntervalMs: number;
  spool: Spool;
  /** Past this many spooled bytes not yet in the database, PUBACKs are held and the broker keeps the rest. */
  spoolMaxBytes: number;
  /** How often the spool is fsynced: what a power cut can lose at most. */
  syncIntervalMs: number;
  limits: ValidationLimits;
  store: BatchStore;
  /** This worker's share of the devices; all when absent. */
  partition?: Partition;
  /** Subscribe as $share/<group>/… (brokers with shared subscriptions). */
  shareGroup?: string;
  backoff?: BackoffOptions;
  /** Injected so tests can drive the transport and the clock. */
  connect?: (url: string, options: IClientOptions) => MqttClient;
  now?: () => Date;
}

export interface IngestStats {
  messages: number;
  /** Messages of devices another worker's partition owns: acknowledged and left to that worker. */
  skipped: number;
  rowsWritten: number;
  rejected: number;
  batches: number;
  replayed: number;
}

export interface IngestEvents {
  connected: [];
  disconnected: [];
  brokerError: [Error];
  replaying: [{ bytes: number }];
  flushed: [{ rows: number; messages: number; ms: number }];
  rejected: [{ topic: string; code: RejectionCode; reason: string }];
  isolated: [{ topic: string; error: string }];
  writeFailed: [{ err: unknown; attempt: number; retryInMs: number }];
  syncFailed: [Error];
}

interface Item {
  message: PositionedMessage;
  entry: Entry;
}

class StopDeadline extends Error {}

/**
 * The ingest worker. Every message is appended to the local spool before it is acknowledged, and
 * batches are read back from the spool and committed together with the spool position they reach;
 * so an acknowledged reading is in the database exactly once, whatever crashes in between.
 *
 * start() replays what the database lacks, then subscribes. stop() stops reading, writes what it can
 * within its timeout (the rest stays in the spool for the next start) and closes; safe to call twice.
 * Core events are emitted; the entry point decides what to log.
 */
export class IngestWorker extends EventEmitter<IngestEvents> {
  readonly stats: IngestStats = { messages: 0, skipped: 0, rowsWritten: 0, rejected: 0, batches: 0, replayed: 0 };
  private client?: MqttClient;
  /** Spool position up to which the database has everything. */
  private cursor = 0;
  /** Messages spooled past the cursor; Infinity while replaying a backlog of unknown count. */
  private backlogMessages = 0;
  /** The spool head at start: messages before it that were committed after start were replayed. */
  private replayUntil = 0;
  /** Rows per message seen in recent batches: how many messages make a full batch. */
  private rowsPerMessage = 1;
  /** When the oldest message not yet taken into a batch arrived (ms), or undefined if none waits. */
  private oldestWaitingSince?: number;
  private flushing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private syncTimer?: NodeJS.Timeout;
  private waitingForRoom: Array<() => void> = [];
  private stopping?: Promise<void>;
  private stopDeadline = Infinity;
  private readonly now: () => Date;
  private readonly spool: Spool;

  constructor(private readonly options: IngestOptions) {
    super();
    this.now = options.now ?? (() => new Date());
    this.spool = options.spool;
  }

  /** Spooled bytes not yet in the database. */
  get backlogBytes(): number {
    return this.spool.head - this.cursor;
  }

  get brokerConnected(): boolean {
    return this.client?.connected ?? false;
  }

  async start(): Promise<void> {
    const { spool, clientId } = this.options;
    const committed = await this.options.store.committedPosition(clientId, spool.id);
    if (committed !== null && committed > spool.head) spool.skipTo(committed);
    this.cursor = Math.max(committed ?? 0, spool.start);
    this.replayUntil = spool.head;
    if (this.backlogBytes > 0) {
      this.backlogMessages = Infinity;
      this.emit('replaying', { bytes: this.backlogBytes });
      this.schedule();
    }
    this.syncTimer = setInterval(() => spool.sync().catch((err: Error) => this.emit('syncFailed', err)), this.options.syncIntervalMs);
    await this.subscribe();
  }

  /** Stop reading from the broker, write what can be written within `timeoutMs`, close the spool. */
  stop({ timeoutMs = 10_000 } = {}): Promise<void> {
    this.stopping ??= (async () => {
      this.stopDeadline = Date.now() + timeoutMs;
      // Held messages are already spooled: acknowledging them is safe.
      this.releaseWaiters(true);
      await this.client?.endAsync();
      clearTimeout(this.timer);
      clearInterval(this.syncTimer);
      try {
        await this.flushing;
        await this.drain(true);
      } catch (err) {
        if (!(err instanceof StopDeadline)) throw err;
      } finally {
        this.spool.close();
      }
    })();
    return this.stopping;
  }

  private async subscribe(): Promise<void> {
    const { url, clientId, username, password } = this.options;
    const connect = this.options.connect ?? mqtt.connect;
    // A persistent session (clean: false, stable id): the broker queues QoS 1 readings while we are away.
    // reconnectOnConnackError: a login refused once (a password rotation under way) must not stop ingest for good.
    const client = connect(url, { clientId, clean: false, username: username || undefined, password: password || undefined, reconnectPeriod: 1000, reconnectOnConnackError: true });
    this.client = client;
    const partition = this.options.partition ?? { index: 0, count: 1 };
    const subscription = this.options.shareGroup ? `$share/${this.options.shareGroup}/${INGEST_SUBSCRIPTION}` : INGEST_SUBSCRIPTION;
    client.handleMessage = (packet, done) => {
      if (!owns(partition, packet.topic)) {
        this.stats.skipped++;
        return done();
      }
      this.accept(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
      // Holding the callback holds the PUBACK and MQTT.js's read loop: the broker keeps the rest.
      if (this.backlogBytes < this.options.spoolMaxBytes) done();
      else this.waitingForRoom.push(() => done());
    };
    client.on('offline', () => this.emit('disconnected'));
    // MQTT.js emits 'error' for refused connections (bad credentials); without a listener it would throw.
    client.on('error', (err) => this.emit('brokerError', err));
    let subscribedOnce = false;
    await new Promise<void>((resolve, reject) => {
      // Subscribe on every connect: after a broker restart without persistence, the session is gone.
      client.on('connect', () => {
        client.subscribe(subscription, { qos: 1 }, (err, granted) => {
          const refused = granted?.some((g) => g.qos === 128);
          if (err || refused) {
            if (!subscribedOnce) reject(err ?? new Error(`the broker refused the subscription to ${subscription}`));
            return;
          }
          subscribedOnce = true;
          this.emit('connected');
          resolve();
        });
      });
    });
  }

  private accept(topic: string, payload: Buffer): void {
    this.spool.append({ receivedAt: this.now().getTime(), topic, payload });
    this.stats.messages++;
    this.backlogMessages++;
    this.oldestWaitingSince ??= Date.now();
    this.schedule();
  }

  /**
   * A full batch is written at once; otherwise the oldest waiting message waits at most
   * flushIntervalMs in all, including the time it spent behind the previous write.
   */
  private schedule(): void {
    if (this.flushing || this.stopping || this.backlogBytes === 0) return;
    if (this.backlogMessages * this.rowsPerMessage >= this.options.batchMaxRows) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.startFlush();
    } else {
      const waited = Date.now() - (this.oldestWaitingSince ?? Date.now());
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.startFlush();
      }, Math.max(0, this.options.flushIntervalMs - waited));
    }
  }

  private startFlush(): void {
    this.flushing = this.drain(false).finally(() => {
      this.flushing = undefined;
      this.schedule();
    });
  }

  /** Commits one batch, and more while full ones wait (or everything, when `all`). */
  private async drain(all: boolean): Promise<void> {
    do {
      const batch = this.takeBatch();
      if (batch.length === 0) return;
      const started = Date.now();
      await this.commit(batch);
      const rows = batch.reduce((n, item) => n + rowCount(item.entry), 0);
      this.emit('flushed', { rows, messages: batch.length, ms: Date.now() - started });
    } while (all || this.backlogMessages * this.rowsPerMessage >= this.options.batchMaxRows);
  }

  /** The next messages after the cursor, classified, up to a batch of rows. */
  private takeBatch(): Item[] {
    const items: Item[] = [];
    let rows = 0;
    for (const message of this.spool.read(this.cursor, this.options.batchMaxRows)) {
      const entry = classify(message.topic, message.payload, new Date(message.receivedAt), this.options.limits);
      if (items.length > 0 && rows + rowCount(entry) > this.options.batchMaxRows) break;
      items.push({ message, entry });
      rows += rowCount(entry);
    }
    if (items.length > 0) {
      this.rowsPerMessage = rows / items.length;
      // Whatever arrives from now on waits for the next batch; older messages left behind keep their age.
      if (items.at(-1)!.message.end === this.spool.head) this.oldestWaitingSince = undefined;
    }
    return items;
  }

  /**
   * Writes `items` and the position after them in one transaction. Retries while the database is
   * unwell; when the data itself is refused, splits the batch until the offending message is alone
   * and stores it as rejected with the database's words.
   */
  private async commit(items: Item[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const position = items.at(-1)!.message.end;
        await this.options.store.write(toRows(items.map((i) => i.entry)), { worker: this.options.clientId, spoolId: this.spool.id, position });
        this.committed(items, position);
        return;
      } catch (err) {
        if (classifyWriteError(err) === 'data') {
          if (items.length > 1) {
            const half = Math.ceil(items.length / 2);
            await this.commit(items.slice(0, half));
            await this.commit(items.slice(half));
            return;
          }
          items = [this.isolate(items[0]!, err)];
          continue;
        }
        const retryInMs = backoffMs(attempt, this.options.backoff ?? DEFAULT_BACKOFF);
        this.emit('writeFailed', { err, attempt, retryInMs });
        if (Date.now() + retryInMs > this.stopDeadline) throw new StopDeadline();
        await new Promise((resolve) => setTimeout(resolve, retryInMs));
      }
    }
  }

  private isolate({ message, entry }: Item, err: unknown): Item {
    const error = (err as Error).message;
    this.emit('isolated', { topic: message.topic, error });
    if (entry.kind === 'rejected') {
      // Even the rejection was refused (it cannot be, short of a schema change): keep the worker going.
      return { message, entry: { ...entry, payload: Buffer.alloc(0), reason: `${entry.reason}; storing it failed: ${error}` } };
    }
    const reason = `the database refused this message: ${error}`;
    return { message, entry: { kind: 'rejected', topic: message.topic, payload: message.payload, code: 'database', reason, receivedAt: entry.receivedAt } };
  }

  private committed(items: Item[], position: number): void {
    this.cursor = position;
    this.backlogMessages = this.cursor === this.spool.head ? 0 : Math.max(0, this.backlogMessages - items.length);
    this.spool.release(position);
    this.stats.batches++;
    for (const { entry, message } of items) {
      if (message.end <= this.replayUntil) this.stats.replayed++;
      if (entry.kind === 'rejected') {
        this.stats.rejected++;
        this.emit('rejected', { topic: entry.topic, code: entry.code, reason: entry.reason });
      } else {
        this.stats.rowsWritten += rowCount(entry);
      }
    }
    this.releaseWaiters();
  }

  private releaseWaiters(all = false): void {
    while (this.waitingForRoom.length > 0 && (all || this.backlogBytes < this.options.spoolMaxBytes)) this.waitingForRoom.shift()!();
  }
}

import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { INGEST_SUBSCRIPTION, type ValidationLimits } from '../shared/contract.js';
import { backoffMs, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { classify, rowCount, type Entry } from './entries.js';
import { toRows } from './rows.js';
import type { BatchStore } from './store.js';

export interface IngestOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  batchMaxRows: number;
  flushIntervalMs: number;
  /** Past this many rows waiting for the database, messages are not acknowledged until there is room. */
  maxPendingRows: number;
  limits: ValidationLimits;
  store: BatchStore;
  backoff?: BackoffOptions;
  /** Injected so tests can drive the transport and the clock. */
  connect?: (url: string, options: IClientOptions) => MqttClient;
  now?: () => Date;
}

export interface IngestStats {
  messages: number;
  rowsWritten: number;
  rejected: number;
  batches: number;
}

export interface IngestEvents {
  connected: [];
  disconnected: [];
  flushed: [{ rows: number; entries: number; ms: number }];
  rejected: [{ topic: string; reason: string }];
  writeFailed: [{ err: unknown; attempt: number; retryInMs: number }];
  brokerError: [Error];
}

/**
 * The ingest worker: subscribes to every reading, validates it with the shared contract and writes
 * batches to PostgreSQL.
 *
 * start() resolves once subscribed. stop() stops reading, writes everything received, and resolves;
 * it is safe to call twice. Core events are emitted; the entry point decides what to log.
 */
export class IngestWorker extends EventEmitter<IngestEvents> {
  readonly stats: IngestStats = { messages: 0, rowsWritten: 0, rejected: 0, batches: 0 };
  private client?: MqttClient;
  private pending: Entry[] = [];
  private pendingRows = 0;
  private flushing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private waitingForRoom: Array<() => void> = [];
  private stopping?: Promise<void>;
  private readonly now: () => Date;

  constructor(private readonly options: IngestOptions) {
    super();
    this.now = options.now ?? (() => new Date());
  }

  async start(): Promise<void> {
    const { url, clientId, username, password } = this.options;
    const connect = this.options.connect ?? mqtt.connect;
    // A persistent session (clean: false, stable id): the broker queues QoS 1 readings while we are away.
    const client = connect(url, { clientId, clean: false, username: username || undefined, password: password || undefined, reconnectPeriod: 1000 });
    this.client = client;
    client.handleMessage = (packet, done) => {
      this.accept(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
      // Holding the callback holds the PUBACK and MQTT.js's read loop: the broker keeps the rest.
      if (this.pendingRows < this.options.maxPendingRows) done();
      else this.waitingForRoom.push(() => done());
    };
    let connectedOnce = false;
    client.on('offline', () => this.emit('disconnected'));
    // MQTT.js emits 'error' for refused connections (bad credentials); without a listener it would throw.
    client.on('error', (err) => this.emit('brokerError', err));
    await new Promise<void>((resolve, reject) => {
      client.on('connect', () => {
        client.subscribe(INGEST_SUBSCRIPTION, { qos: 1 }, (err, granted) => {
          const refused = granted?.find((g) => g.qos === 128);
          if (err || refused) {
            const error = err ?? new Error(`broker refused the subscription to ${INGEST_SUBSCRIPTION}`);
            if (!connectedOnce) reject(error);
            return;
          }
          connectedOnce = true;
          this.emit('connected');
          resolve();
        });
      });
    });
  }

  /** Stop reading from the broker, write what was received, close. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      // Messages held back for room are already in `pending` and are written below: let them be acked.
      this.releaseWaiters(true);
      await this.client?.endAsync();
      clearTimeout(this.timer);
      this.timer = undefined;
      await this.flushing;
      await this.drain(true);
    })();
    return this.stopping;
  }

  get pendingRowCount(): number {
    return this.pendingRows;
  }

  private accept(topic: string, payload: Buffer): void {
    const entry = classify(topic, payload, this.now(), this.options.limits);
    this.stats.messages++;
    if (entry.kind === 'rejected') {
      this.stats.rejected++;
      this.emit('rejected', { topic, reason: entry.reason });
    }
    this.pending.push(entry);
    this.pendingRows += rowCount(entry);
    this.schedule();
  }

  private schedule(): void {
    if (this.flushing || this.stopping || this.pending.length === 0) return;
    if (this.pendingRows >= this.options.batchMaxRows) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.startFlush();
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.startFlush();
      }, this.options.flushIntervalMs);
    }
  }

  private startFlush(): void {
    this.flushing = this.drain(false).finally(() => {
      this.flushing = undefined;
      this.schedule();
    });
  }

  /** Writes one batch, and more while full ones wait (or everything, when `all`). */
  private async drain(all: boolean): Promise<void> {
    do {
      const batch = this.takeBatch();
      if (batch.length === 0) return;
      await this.writeWithRetry(batch);
    } while (all || this.pendingRows >= this.options.batchMaxRows);
  }

  private takeBatch(): Entry[] {
    let rows = 0;
    let count = 0;
    while (count < this.pending.length && rows < this.options.batchMaxRows) rows += rowCount(this.pending[count++]!);
    return this.pending.slice(0, count);
  }

  private async writeWithRetry(batch: Entry[]): Promise<void> {
    const rows = toRows(batch);
    const rowTotal = rows.readings.length + rows.rejected.length;
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      try {
        await this.options.store.write(rows);
        this.emit('flushed', { rows: rowTotal, entries: batch.length, ms: Date.now() - started });
        break;
      } catch (err) {
        // Everything is retried for now; the entries stay pending, so nothing acknowledged is dropped.
        const retryInMs = backoffMs(attempt, this.options.backoff ?? DEFAULT_BACKOFF);
        this.emit('writeFailed', { err, attempt, retryInMs });
        await new Promise((resolve) => setTimeout(resolve, retryInMs));
      }
    }
    this.pending.splice(0, batch.length);
    this.pendingRows -= batch.reduce((n, e) => n + rowCount(e), 0);
    this.stats.rowsWritten += rowTotal;
    this.stats.batches++;
    this.releaseWaiters();
  }

  private releaseWaiters(all = false): void {
    while (this.waitingForRoom.length > 0 && (all || this.pendingRows < this.options.maxPendingRows)) this.waitingForRoom.shift()!();
  }
}

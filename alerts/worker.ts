import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import { DEFAULT_LIMITS, parseDiag, parseDiagTopic, type ValidationLimits } from '../shared/contract.js';
import { decodeMessage, subscriptionsOf } from '../shared/sources/decode.js';
import type { Source } from '../shared/sources/source.js';
import { backoffMs } from '../shared/backoff.js';
import { Periodic } from '../shared/periodic.js';
import type { Db } from '../shared/db.js';
import { waitAtMost } from '../shared/timeout.js';
import { AlertEngine, type Change } from './engine.js';
import type { Route } from './routes.js';
import type { Rule } from './rules.js';
import { partitionByOwner } from './orphans.js';
import { resolveOrphaned, type OrphanOutcome } from './resolve-orphans.js';
import { loadForRestore, saveChanges } from './store.js';
import { saveProgress } from './progress-store.js';

/** What the alerts worker listens to: readings and status (home/+/+ and the sources') and sensor diagnostics. */
export const alertSubscriptions = (sources: readonly Source[]) => [...subscriptionsOf(sources), 'home/+/+/diag'];

export interface AlertsWorkerOptions {
  rules: readonly Rule[];
  routes: readonly Route[];
  /** Devices of other projects (ingest.sources): their readings are series like any other. */
  sources?: readonly Source[];
  /** The contract's limits as ingest applies them (config/limits.ts): a reading ingest rejects never alerts. */
  limits?: ValidationLimits;
  /**
   * Starts connecting to the broker (clean: false, a stable client id, so messages wait while the worker
   * is down) and returns the client at once, as mqtt.connect does: the message handler must be in place
   * before the CONNACK, or the messages queued meanwhile would be acknowledged unhandled. Called once, by
   * start(); the worker owns the client and ends it in stop(); others publish through publish().
   */
  connect: () => MqttClient;
  /** How often time is let pass for pending, recovering and stale alerts. */
  tickMs: number;
  now?: () => number;
}

export interface AlertsWorkerEvents {
  changed: [{ changes: Change[]; notifications: number }];
  saveFailed: [{ err: unknown; attempt: number; retryInMs: number }];
  ignored: [{ topic: string; reason: string }];
  /** At start: alerts no rule owns any more (removed, renamed, selector or type changed), resolved and deleted. */
  orphansResolved: [{ outcomes: OrphanOutcome[] }];
  /** A message was evaluated (and what it changed stored) and is acknowledged. */
  handled: [{ topic: string }];
}

/**
 * Evaluates the rules on what the broker delivers, and on a timer, keeping the engine's state and events
 * in PostgreSQL. A message is acknowledged only after what it changed is stored, so a crash loses no
 * transition; a database that fails is retried with backoff while messages wait (they are not dropped).
 */
export class AlertsWorker extends EventEmitter<AlertsWorkerEvents> {
  private engine?: AlertEngine;
  private client?: MqttClient;
  private ticks?: Periodic;
  /** Messages and ticks are handled one at a time, in order. */
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  private started?: Promise<void>;
  private readonly now: () => number;

  constructor(private readonly db: Db, private readonly options: AlertsWorkerOptions) {
    super();
    this.now = options.now ?? Date.now;
  }

  /**
   * Restores the engine, connects and subscribes; a second call returns the first one's promise, a failure
   * included: a start that failed may hold a client, so its caller stops the worker rather than retrying.
   */
  start(): Promise<void> {
    this.started ??= this.run();
    return this.started;
  }

  private async run(): Promise<void> {
    const engine = new AlertEngine(this.options.rules, this.now());
    const restored = await loadForRestore(this.db);
    // Alerts of rules that are gone would fire, and repeat, forever (issue 24, item 3): resolve them first.
    const { owned, orphaned } = partitionByOwner(this.options.rules, restored.states);
    if (orphaned.length > 0) {
      const outcomes = await resolveOrphaned(this.db, orphaned, this.options.routes, this.now());
      this.emit('orphansResolved', { outcomes });
    }
    engine.restore(owned, restored.lastSeen, restored.offline, restored.progress);
    this.engine = engine;
    // stop() ran meanwhile and ended no client: connect none now, so none is left running.
    if (this.stopped) return;
    const client = this.options.connect();
    this.client = client;
    client.handleMessage = (packet, done) => {
      this.enqueue(() => this.handle(packet.topic, packet.payload as Buffer)).then(() => {
        this.emit('handled', { topic: packet.topic });
        done();
      }, (err: Error) => done(err));
    };
    if (!client.connected) await new Promise((resolve) => client.once('connect', resolve));
    const topics = alertSubscriptions(this.options.sources ?? []);
    await client.subscribeAsync(Object.fromEntries(topics.map((topic) => [topic, { qos: 1 as const }])));
    if (this.stopped) return; // stop() ended the client; no ticks after it
    // Time passes in the same queue as messages, at the next due timer or every tickMs.
    this.ticks = new Periodic(() => this.enqueue(async () => {
      await this.store(engine.tick(this.now()));
      await this.saveProgress();
    }).catch(() => {}), () => this.nextTickIn());
    this.ticks.start();
  }

  get brokerConnected(): boolean {
    return this.client?.connected ?? false;
  }

  /** The broker client this worker connected (for its metrics); undefined before start(). */
  get brokerClient(): MqttClient | undefined {
    return this.client;
  }

  /** Publishes on the worker's broker connection (QoS 1); rejects when it is not connected. */
  async publish(topic: string, payload: string, retain: boolean): Promise<void> {
    const client = this.client;
    if (!client?.connected) throw new Error('not connected to the broker');
    await client.publishAsync(topic, payload, { qos: 1, retain });
  }

  /** The engine, for listing what is active. */
  get active() {
    return this.engine?.active() ?? [];
  }

  /** Readings older than their series' newest, which changed no alert (alerts/progress.ts). */
  get lateReadings(): number {
    return this.engine?.lateReadings ?? 0;
  }

  /** Runs `work` after everything queued before it. */
  enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => {});
    return next;
  }

  private nextTickIn(): number {
    const due = this.engine?.nextDueAt();
    const until = due === null || due === undefined ? this.options.tickMs : Math.max(0, due - this.now());
    return Math.min(this.options.tickMs, until);
  }

  private async handle(topic: string, payload: Buffer): Promise<void> {
    const engine = this.engine!;
    const at = this.now();
    const diagTopic = parseDiagTopic(topic);
    if (diagTopic) {
      const diag = parseDiag(payload);
      if (!diag.ok) return void this.emit('ignored', { topic, reason: diag.reason });
      return this.store(engine.diag(diagTopic.device, diagTopic.sensor, diag.diag, at));
    }
    // The same decoding as ingest (shared/sources/decode.ts), so a Zigbee sensor alerts like a Pi's.
    const limits = this.options.limits ?? DEFAULT_LIMITS;
    const decoded = decodeMessage(this.options.sources ?? [], topic, payload, new Date(at), limits);
    if ('ok' in decoded) return void this.emit('ignored', { topic, reason: decoded.reason });
    switch (decoded.kind) {
      case 'ignored':
        return;
      case 'status':
        return this.store(engine.status(decoded.device, decoded.status, at));
      case 'readings':
        // Judged in reading time (a payload's ts, else the receive time): an outbox replay is the past it describes.
        await this.store(decoded.readings.flatMap(({ device, sensor, metrics, ts }) =>
          metrics.flatMap(({ metric, value }) => engine.reading(device, sensor, metric, value, ts.getTime(), at))));
    }
  }

  /**
   * How far each series has been judged (alert_progress), at every tick and stop: after a restart a
   * reading older than that is still late. A failed write is tried again with the next one.
   */
  private async saveProgress(): Promise<void> {
    const rows = this.engine?.takeProgress() ?? [];
    await saveProgress(this.db, rows).catch((err: unknown) => {
      this.engine?.unsaveProgress(rows);
      this.emit('saveFailed', { err, attempt: 1, retryInMs: this.options.tickMs });
    });
  }

  /** Stores changes, retrying until the database takes them or the worker stops. */
  private async store(changes: Change[]): Promise<void> {
    if (changes.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      try {
        const { rules, routes } = this.options;
        const notifications = await saveChanges(this.db, changes, rules, routes, this.now());
        this.emit('changed', { changes, notifications });
        return;
      } catch (err) {
        if (this.stopped) throw err;
        const retryInMs = backoffMs(attempt);
        this.emit('saveFailed', { err, attempt, retryInMs });
        await new Promise((resolve) => setTimeout(resolve, retryInMs));
      }
    }
  }

  /** Stops evaluating and disconnects by the deadline; what was not acknowledged is delivered again. */
  async stop({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.ticks?.stop({ timeoutMs: 0 }); // a tick in progress is in the queue, awaited below
    // One deadline for both: saving where the series stand, then ending the client this worker connected.
    const deadline = Date.now() + timeoutMs;
    await waitAtMost(this.enqueue(() => this.saveProgress()), timeoutMs);
    await waitAtMost(this.client?.endAsync(true), deadline - Date.now());
  }
}

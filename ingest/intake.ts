import { EventEmitter } from 'node:events';
import type { IClientOptions, MqttClient } from 'mqtt';
import { backoffMs } from '../shared/backoff.js';
import { connectMqtt as connectBrokers, type SwitchEvent } from '../shared/mqtt-connect.js';
import { withTimeout } from '../shared/timeout.js';

/** The part of an MQTT.js client that intake uses; tests can hand in their own. */
export interface BrokerClient {
  readonly connected: boolean;
  handleMessage: (packet: { topic: string; payload: Buffer | string }, done: (err?: Error) => void) => void;
  on(event: 'connect' | 'offline', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  subscribe(
    filters: Record<string, { qos: 1 } | boolean>,
    callback: (err: Error | null | undefined, granted?: Array<{ topic?: string; qos: number }>) => void,
  ): unknown;
  endAsync(force?: boolean): Promise<void>;
}

/** `url` may list several brokers (shared/mqtt-connect.ts); `onSwitch` hears each move from one to another. */
export type ConnectBroker =
  (url: string, options: IClientOptions, onSwitch?: (event: SwitchEvent) => void) => BrokerClient;
export const connectMqtt: ConnectBroker = (url, options, onSwitch) =>
  connectBrokers(url, options, onSwitch) as MqttClient as unknown as BrokerClient;

export interface IntakeOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** The filters to subscribe to, on every connect: pimonitor's home/+/+ and each source's. */
  subscriptions: readonly string[];
  /**
   * Takes one message; returns true when it may be acknowledged now, false to hold its PUBACK (and so
   * MQTT.js's read loop) until release() is called. `deferred`: the message may be kept in memory
   * until flush(), which intake calls before any of those PUBACKs can leave.
   */
  accept(topic: string, payload: Buffer, deferred: boolean): boolean;
  /** Writes what accept() deferred to the operating system; throws if it cannot. */
  flush?: () => void;
  connect?: ConnectBroker;
}

export interface IntakeEvents {
  subscribed: [];
  /** The broker refused the subscription (SUBACK 0x80) or the SUBSCRIBE failed: connected, yet nothing arrives. */
  subscribeRefused: [{ reason: string; retryInMs: number }];
  disconnected: [];
  /** Connected to another broker of the list than last time (failover). */
  brokerSwitched: [SwitchEvent];
  brokerError: [Error];
  /** flush() failed: the connection is dropped unacknowledged, so the broker delivers those messages again. */
  flushFailed: [Error];
}

/** The part of MQTT.js's socket that batching needs (absent for clients that tests hand in). */
interface Corkable {
  cork(): void;
  uncork(): void;
  destroy(): void;
}

/**
 * Ingest's side of the broker: one persistent session (clean: false, a stable client id, so the broker
 * queues QoS 1 readings while ingest is away), subscribed again on every connect (a broker restarted
 * without persistence has lost the session). A message is handed to accept() before its PUBACK goes out.
 *
 * start() resolves at the first granted subscription, rejects if the first is refused or stop() comes
 * first, and releases the client when it rejects. stop() is safe to call twice.
 */
export class Intake extends EventEmitter<IntakeEvents> {
  private client?: BrokerClient;
  private held: Array<() => void> = [];
  private resubscribeTimer?: NodeJS.Timeout;
  private refusals = 0;
  private stopped = false;
  private subscribedNow = false;
  private abortStart?: (err: Error) => void;
  private stopping?: Promise<void>;
  /** The socket corked while this tick's messages wait for flush(): their PUBACKs wait in it. */
  private corked?: Corkable;

  constructor(private readonly options: IntakeOptions) {
    super();
  }

  /** Connected and subscribed: messages can arrive. */
  get subscribed(): boolean {
    return this.subscribedNow && (this.client?.connected ?? false);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async start(): Promise<void> {
    const { url, clientId, username, password, subscriptions } = this.options;
    const connect = this.options.connect ?? connectMqtt;
    // reconnectOnConnackError: a login refused once (a password rotation under way) must not stop ingest for good.
    // resubscribe: false, because intake subscribes on every connect itself and must see each answer;
    // MQTT.js's own resubscription reports nothing, and skips a filter it believes it already has.
    const client = connect(url, {
      clientId, clean: false, username: username || undefined, password: password || undefined,
      reconnectPeriod: 1000, reconnectOnConnackError: true, resubscribe: false,
    }, (event) => this.emit('brokerSwitched', event));
    this.client = client;
    client.handleMessage = (packet, done) => {
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      // Holding the callback holds the PUBACK and MQTT.js's read loop: the broker keeps the rest.
      if (this.options.accept(packet.topic, payload, this.batching(client))) done();
      else this.held.push(() => done());
    };
    client.on('offline', () => {
      this.subscribedNow = false;
      this.emit('disconnected');
    });
    // MQTT.js emits 'error' for refused connections (bad credentials); without a listener it would throw.
    client.on('error', (err) => this.emit('brokerError', err));
    try {
      await new Promise<void>((resolve, reject) => {
        this.abortStart = reject;
        let first = true;
        const subscribe = () => {
          clearTimeout(this.resubscribeTimer);
          // `resubscribe: true` makes MQTT.js send the SUBSCRIBE even for a filter it subscribed before
          // (client.js parseSub), so every connect asks the broker, and a refusal is seen.
          const filters = Object.fromEntries(subscriptions.map((f) => [f, { qos: 1 as const }]));
          client.subscribe({ ...filters, resubscribe: true }, (err, granted) => {
            const refusedFilters = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic ?? '?');
            const refusedWhat = err ? `${subscriptions.join(', ')} (${err.message})` : refusedFilters.join(', ');
            const refused = err || refusedFilters.length
              ? `the broker refused the subscription to ${refusedWhat}` : null;
            if (refused) {
              this.subscribedNow = false;
              if (first) return reject(new Error(refused));
              const retryInMs = backoffMs(++this.refusals, { initialMs: 1000, maxMs: 60_000 });
              this.emit('subscribeRefused', { reason: refused, retryInMs });
              if (!this.stopped) this.resubscribeTimer = setTimeout(() => client.connected && subscribe(), retryInMs);
              return;
            }
            first = false;
            this.refusals = 0;
            this.subscribedNow = true;
            this.emit('subscribed');
            resolve();
          });
        };
        client.on('connect', subscribe);
      });
    } catch (err) {
      await this.stop();
      throw err;
    } finally {
      this.abortStart = undefined;
    }
  }

  /**
   * Whether this message may wait in memory for one write with the others of this tick. MQTT.js takes
   * the packets of a socket read one by one, each PUBACK sent before the next (its read loop), so one
   * spool write per message and one socket write per PUBACK were most of ingest's cost. Instead the
   * socket is corked at the first message of a tick: the PUBACKs MQTT.js writes wait in it, and at
   * setImmediate flushBatch() writes the spooled messages in one write and then uncorks, so the PUBACKs
   * leave together, after their messages reached the operating system (the kill -9 guarantee holds).
   */
  private batching(client: BrokerClient): boolean {
    const stream = (client as unknown as { stream?: Partial<Corkable> }).stream;
    if (!this.options.flush || typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function') return false;
    if (!this.corked) {
      stream.cork();
      this.corked = stream as Corkable;
      setImmediate(() => this.flushBatch());
    }
    return true;
  }

  /** Writes this tick's messages, then lets their PUBACKs go; if the write fails, drops the connection instead. */
  private flushBatch(): void {
    const stream = this.corked;
    this.corked = undefined;
    if (!stream) return;
    try {
      this.options.flush?.();
    } catch (err) {
      // The PUBACKs in the corked socket are discarded with it: the broker keeps the messages.
      stream.destroy();
      this.emit('flushFailed', err as Error);
      return;
    }
    stream.uncork();
  }

  /** Acknowledges held messages while `canRelease()` says there is room (all of them when it is absent). */
  release(canRelease: () => boolean = () => true): void {
    if (this.held.length === 0) return;
    try {
      this.options.flush?.();
    } catch (err) {
      this.emit('flushFailed', err as Error);
      return;
    }
    while (this.held.length > 0 && canRelease()) this.held.shift()!();
  }

  /** Stops reading: held messages are acknowledged (they are already spooled) and the client is closed. */
  stop({ timeoutMs = 2000 } = {}): Promise<void> {
    this.stopping ??= this.close(timeoutMs);
    return this.stopping;
  }

  private async close(timeoutMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.resubscribeTimer);
    this.abortStart?.(new Error('ingest was stopped before it could subscribe'));
    this.flushBatch();
    this.release();
    const client = this.client;
    if (!client) return;
    // endAsync waits for in-flight packets; a silent broker must not hold stop() past its deadline.
    await withTimeout(client.endAsync(), timeoutMs, 'closing the broker connection').catch(() => {});
    if (client.connected) await client.endAsync(true).catch(() => {});
  }
}

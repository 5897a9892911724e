import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { backoffMs } from '../shared/backoff.js';
import { diagTopic, encodeReading, readingTopic, statusTopic } from '../shared/contract.js';
import type { GpioPin, Readings, SensorDriver, SensorSpec } from './drivers/types.js';
import type { HaDiscovery } from './ha-discovery.js';
import type { Outbox } from './outbox.js';
import { realClock, SensorSampler, type SamplerClock } from './sampler.js';
import type { WallClock } from './wall-clock.js';

export interface NodeOptions {
  url: string;
  device: string;
  username?: string;
  password?: string;
  sensors: Array<{ spec: SensorSpec; driver: SensorDriver }>;
  outbox: Outbox;
  wallClock: WallClock;
  diagIntervalMs: number;
  statusLed?: GpioPin;
  /** Home Assistant discovery, when enabled. */
  discovery?: HaDiscovery;
  /** Readings held in memory at most while the system clock is not yet synchronised. */
  maxHeld?: number;
  connect?: (url: string, options: IClientOptions) => MqttClient;
  samplerClock?: SamplerClock;
  random?: () => number;
}

export interface NodeEvents {
  connected: [];
  disconnected: [];
  reading: [{ sensor: string; readings: Readings; ts: Date }];
  held: [{ count: number }];
  sent: [{ position: number }];
  dropped: [{ what: string }];
}

/** QoS 1 messages in flight to the broker at once; enough to drain a week's backlog quickly. */
const SEND_WINDOW = 64;
const HOLD_CHECK_MS = 1000;

/**
 * A sensor node. Every reading is stamped with the time it was taken, written to the on-disk outbox,
 * and sent in order at QoS 1; the outbox advances only on the broker's acknowledgement, so nothing is
 * lost while the broker is away or when the node restarts. start() opens the sensors and connects;
 * stop() stops reading, announces `offline` and closes; both are safe to call once each.
 */
export class SensorNode extends EventEmitter<NodeEvents> {
  private client?: MqttClient;
  private samplers: SensorSampler[] = [];
  private held: Array<{ sensor: string; readings: Readings; monotonicMs: number }> = [];
  private timers: NodeJS.Timeout[] = [];
  private sendPosition = 0;
  private inflight = 0;
  /** Bumped on every disconnect, so acknowledgements of an earlier connection are ignored. */
  private generation = 0;
  private reconnects = 0;
  private stopping?: Promise<void>;
  /** The newest delivered reading of each sensor, re-sent when Home Assistant comes back (same ts: ingest stores it once). */
  private readonly lastSent = new Map<string, Buffer>();

  constructor(private readonly options: NodeOptions) {
    super();
  }

  /** Diagnostics of every sensor, by name. */
  get diagnostics() {
    return Object.fromEntries(this.samplers.map((s) => [s.spec.name, s.diagnostics]));
  }

  async start(): Promise<void> {
    const { sensors, samplerClock = realClock, random = Math.random } = this.options;
    for (const { spec, driver } of sensors) {
      const sampler = new SensorSampler(spec, driver, (sensor, readings, at) => this.onReading(sensor, readings, at), samplerClock, random);
      await sampler.start();
      this.samplers.push(sampler);
    }
    const { discovery } = this.options;
    if (discovery) this.on('reading', ({ sensor, readings }) => discovery.readingMetrics(this.client, sensor, Object.keys(readings)));
    this.timers.push(setInterval(() => this.releaseHeld(), HOLD_CHECK_MS));
    this.timers.push(setInterval(() => this.publishDiagnostics(), this.options.diagIntervalMs));
    this.connect();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.timers.forEach(clearInterval);
      this.options.discovery?.stop();
      await Promise.all(this.samplers.map((s) => s.stop()));
      this.releaseHeld();
      if (this.held.length > 0) this.emit('dropped', { what: `${this.held.length} readings taken before the clock was synchronised` });
      const client = this.client;
      if (client?.connected) {
        this.publishDiagnostics();
        await client.publishAsync(statusTopic(this.options.device), 'offline', { qos: 1, retain: true }).catch(() => {});
      }
      await client?.endAsync();
      this.options.outbox.close();
      this.options.statusLed?.writeSync(0);
    })();
    return this.stopping;
  }

  private connect(): void {
    const { url, device, username, password } = this.options;
    const status = statusTopic(device);
    const client = (this.options.connect ?? mqtt.connect)(url, {
      clientId: `pimonitor-node-${device}`,
      username: username || undefined,
      password: password || undefined,
      will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true },
      reconnectPeriod: 1000,
      // A refused login (a broker still loading its accounts) must not stop the node for good.
      reconnectOnConnackError: true,
    });
    this.client = client;
    client.on('error', () => {}); // refused logins reconnect too; 'disconnected' tells the caller
    client.on('connect', () => {
      this.reconnects = 0;
      // Discovery before `online`, so Home Assistant knows the entities the availability is about.
      this.options.discovery?.connected(client);
      client.publish(status, 'online', { qos: 1, retain: true });
      this.emit('connected');
      this.publishDiagnostics();
      this.pump();
    });
    client.on('message', (topic, payload) => {
      this.options.discovery?.message(client, topic, payload);
    });
    client.on('close', () => {
      this.generation++;
      this.inflight = 0;
      this.sendPosition = this.options.outbox.cursor;
      // Backoff with jitter, so a house full of nodes does not reconnect in step after a broker restart.
      client.options.reconnectPeriod = backoffMs(++this.reconnects, { initialMs: 1000, maxMs: 60_000 }, this.options.random);
      this.emit('disconnected');
    });
  }

  private onReading(sensor: string, readings: Readings, monotonicMs: number): void {
    const ts = this.options.wallClock.toWall(monotonicMs);
    if (!ts) {
      // Never publish with a 1970 or last-shutdown time: hold until the clock is synchronised.
      this.held.push({ sensor, readings, monotonicMs });
      if (this.held.length > (this.options.maxHeld ?? 10_000)) {
        this.held.shift();
        this.emit('dropped', { what: 'the oldest reading held for the clock' });
      }
      if (this.held.length === 1) this.emit('held', { count: 1 });
      return;
    }
    this.options.outbox.add(readingTopic(this.options.device, sensor), encodeReading(readings, ts));
    this.emit('reading', { sensor, readings, ts });
    this.pump();
  }

  private releaseHeld(): void {
    if (this.held.length === 0 || !this.options.wallClock.isSynchronized()) return;
    const held = this.held.splice(0);
    for (const h of held) this.onReading(h.sensor, h.readings, h.monotonicMs);
  }

  /** Sends what the outbox holds past what is already in flight, up to the window. */
  private pump(): void {
    const client = this.client;
    if (!client?.connected || this.stopping) return;
    const generation = this.generation;
    this.sendPosition = Math.max(this.sendPosition, this.options.outbox.cursor);
    for (const message of this.options.outbox.read(this.sendPosition, SEND_WINDOW - this.inflight)) {
      this.inflight++;
      this.sendPosition = message.end;
      // MQTT-4.6.0-2: PUBACKs come back in the order the PUBLISHes went, so each ack moves the cursor.
      client.publish(message.topic, message.payload, { qos: 1 }, (err) => {
        if (generation !== this.generation || err) return;
        this.inflight--;
        this.options.outbox.ack(message.end);
        this.lastSent.set(message.topic, message.payload);
        this.emit('sent', { position: message.end });
        this.blink();
        if (this.inflight === 0) this.pump();
      });
    }
  }

  /** Home Assistant restarted: it has no state for any entity until the next reading, so send the newest again. */
  resendLatest(): void {
    const client = this.client;
    if (!client?.connected) return;
    client.publish(statusTopic(this.options.device), 'online', { qos: 1, retain: true });
    for (const [topic, payload] of this.lastSent) client.publish(topic, payload, { qos: 1 });
    this.publishDiagnostics();
  }

  private lastBlink = 0;
  private blink(): void {
    const led = this.options.statusLed;
    if (!led || Date.now() - this.lastBlink < 200) return;
    this.lastBlink = Date.now();
    led.writeSync(1);
    setTimeout(() => led.writeSync(0), 50).unref();
  }

  private publishDiagnostics(): void {
    const client = this.client;
    if (!client?.connected) return;
    for (const sampler of this.samplers) {
      const { lastError, ...counts } = sampler.diagnostics;
      const at = lastError ? this.options.wallClock.toWall(lastError.monotonicMs)?.toISOString() ?? null : null;
      const payload = { ...counts, lastError: lastError ? { kind: lastError.kind, message: lastError.message, at } : null };
      client.publish(diagTopic(this.options.device, sampler.spec.name), JSON.stringify(payload), { qos: 1, retain: true });
    }
  }
}

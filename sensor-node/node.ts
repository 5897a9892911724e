import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import { backoffMs } from '../shared/backoff.js';
import { diagTopic, encodeReading, readingTopic, statusTopic } from '../shared/contract.js';
import { brokerOf, brokerState, connectMqtt } from '../shared/mqtt-connect.js';
import type { Readings } from './drivers/types.js';
import { HeldDating, outgoing } from './held.js';
import { NoResendStore } from './no-resend-store.js';
import { bootId } from '../shared/pid-lock.js';
import { withTimeout } from '../shared/timeout.js';
import { realClock, SensorSampler } from './sampler.js';
import { CONNECT_TIMEOUT_MS, KEEPALIVE_S, STOP_TIMEOUT_MS, type NodeEvents, type NodeOptions } from './node-options.js';

export { CONNECT_TIMEOUT_MS, KEEPALIVE_S, STOP_TIMEOUT_MS, type NodeEvents, type NodeOptions } from './node-options.js';

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
  /** Readings are being held for the clock (told once per streak). */
  private holding = false;
  private readonly dating: HeldDating;
  private timers: NodeJS.Timeout[] = [];
  private sendPosition = 0;
  private inflight = 0;
  /** Bumped on every disconnect, so acknowledgements of an earlier connection are ignored. */
  private generation = 0;
  private reconnects = 0;
  /** The outbox could not store the last reading (a full or failing card). */
  private diskTrouble = false;
  private stopping?: Promise<void>;
  /**
   * The newest delivered reading of each sensor, re-sent when Home Assistant comes back (same ts: ingest
   * stores it once).
   */
  private readonly lastSent = new Map<string, Buffer>();

  constructor(private readonly options: NodeOptions) {
    super();
    const thisBoot = 'bootId' in options ? options.bootId ?? null : bootId();
    this.dating = new HeldDating(options.wallClock, options.outbox.dir, thisBoot);
  }

  /** Diagnostics of every sensor, by name. */
  get diagnostics() {
    return Object.fromEntries(this.samplers.map((sampler) => [sampler.spec.name, sampler.diagnostics]));
  }

  async start(): Promise<void> {
    const { sensors, samplerClock = realClock, random = Math.random } = this.options;
    for (const { spec, driver } of sensors) {
      const onReading = (sensor: string, readings: Readings, at: number) => this.onReading(sensor, readings, at);
      const sampler = new SensorSampler(spec, driver, onReading, samplerClock, random);
      await sampler.start();
      this.samplers.push(sampler);
    }
    const { discovery } = this.options;
    if (discovery) {
      this.on('reading', ({ sensor, readings }) =>
        discovery.readingMetrics(this.client, sensor, Object.keys(readings)));
    }
    // Readings held for the clock leave once it is synchronised (pump dates them).
    this.timers.push(setInterval(() => this.pump(), HOLD_CHECK_MS));
    // Start-up repairs (a torn tail cut off) are told now, not at the first reading or connection.
    this.tellOutboxDamage();
    this.timers.push(setInterval(() => this.publishDiagnostics(), this.options.diagIntervalMs));
    this.connect();
  }

  /**
   * Stops by the deadline whatever the link does (issue 25, item 5): `offline` is announced if the
   * broker acknowledges it in time (a half-open link never does; the Last Will says it then), the
   * connection is closed, forcibly past the deadline, and the outbox saves its cursor and closes.
   */
  stop({ timeoutMs = STOP_TIMEOUT_MS }: { timeoutMs?: number } = {}): Promise<void> {
    this.stopping ??= (async () => {
      const deadline = Date.now() + timeoutMs;
      const left = (share: number) => Math.max(0, Math.min(share, deadline - Date.now()));
      try {
        this.timers.forEach(clearInterval);
        this.options.discovery?.stop();
        const samplersStopped = Promise.all(this.samplers.map((sampler) => sampler.stop()));
        await withTimeout(samplersStopped, left(timeoutMs / 4), 'stopping the sensors').catch(() => {});
        const client = this.client;
        if (client?.connected) {
          this.publishDiagnostics();
          const offline = client.publishAsync(statusTopic(this.options.device), 'offline', { qos: 1, retain: true });
          await withTimeout(offline, left(timeoutMs / 3), 'announcing offline').catch(() => {});
        }
        const closed = client?.endAsync() ?? Promise.resolve();
        await withTimeout(closed, left(timeoutMs / 4), 'closing the connection').catch(() => client?.endAsync(true));
      } finally {
        this.options.outbox.close();
        this.options.statusLed?.writeSync(0);
      }
    })();
    return this.stopping;
  }

  private connect(): void {
    const { url, device, username, password } = this.options;
    const status = statusTopic(device);
    const client = (this.options.connect ?? connectMqtt)(url, {
      clientId: `pimonitor-node-${device}`,
      username: username || undefined, password: password || undefined,
      will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true },
      reconnectPeriod: 1000,
      keepalive: this.options.keepaliveS ?? KEEPALIVE_S,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // A refused login (a broker still loading its accounts) must not stop the node for good.
      reconnectOnConnackError: true,
      // The outbox resends what was not acknowledged; MQTT.js must not resend it too.
      outgoingStore: new NoResendStore(),
    }, (event) => this.emit('brokerSwitched', event));
    this.client = client;
    let [failed, up] = [false, false];
    // Refused logins reconnect too; the caller logs the cause once per streak.
    client.on('error', (err) => {
      failed = true;
      this.emit('linkProblem', { err, broker: brokerOf(client) });
    });
    client.on('connect', () => {
      up = true;
      this.reconnects = 0;
      // Discovery before `online`, so Home Assistant knows the entities the availability is about.
      this.options.discovery?.connected(client);
      client.publish(status, 'online', { qos: 1, retain: true });
      this.emit('connected', { broker: brokerState(client).current });
      this.publishDiagnostics();
      this.pump();
    });
    client.on('message', (topic, payload) => {
      this.options.discovery?.message(client, topic, payload);
    });
    client.on('close', () => {
      // Closed without a CONNACK and without an error: the connect timeout (a silent port).
      if (!up && !failed && !this.stopping) this.emit('linkProblem', { err: undefined, broker: brokerOf(client) });
      failed = false;
      up = false;
      this.generation++;
      this.inflight = 0;
      this.sendPosition = this.options.outbox.cursor;
      // Backoff with jitter, so a house full of nodes does not reconnect in step after a broker restart.
      const backoff = { initialMs: 1000, maxMs: 60_000 };
      client.options.reconnectPeriod = backoffMs(++this.reconnects, backoff, this.options.random);
      this.emit('disconnected');
    });
  }

  private onReading(sensor: string, readings: Readings, monotonicMs: number): void {
    const clock = this.options.wallClock;
    const ts = clock.toWall(monotonicMs);
    if (!ts) {
      // Never publish with a 1970 or last-shutdown time: held in the outbox, in order, dated when sent.
      if (!this.holding) this.emit('held', { count: 1 });
      this.holding = true;
      const held = this.dating.hold(readingTopic(this.options.device, sensor), sensor, readings, monotonicMs);
      this.store(held.topic, held.payload, { held: true });
      return;
    }
    // Readings held before leave first: they are ahead of this one in the outbox.
    this.holding = false;
    this.store(readingTopic(this.options.device, sensor), encodeReading(readings, ts));
    this.emit('reading', { sensor, readings, ts });
    this.pump();
  }

  /**
   * Into the outbox; when the disk cannot take it (issue 25, item 2), straight to the broker if it is
   * there, else it is lost (the outbox first drops its oldest unsent readings to make room). The
   * trouble is told once when it starts and once when it ends, never as a sensor's read error.
   */
  private store(topic: string, payload: Buffer, { held = false } = {}): void {
    const outbox = this.options.outbox;
    const client = this.client;
    const stored = outbox.add(topic, payload, { mayDrop: !client?.connected });
    this.tellOutboxDamage();
    if (stored === 'stored') {
      if (this.diskTrouble) this.emit('diskTrouble', { trouble: null });
      this.diskTrouble = false;
      return;
    }
    if (!this.diskTrouble) this.emit('diskTrouble', { trouble: outbox.lastError });
    this.diskTrouble = true;
    if (held) {
      this.emit('dropped', { what: 'readings held for the clock that the outbox could not store', count: 1 });
    } else if (client?.connected) client.publish(topic, payload, { qos: 1 });
    else this.emit('dropped', { what: 'readings the outbox could not store while the broker was away', count: 1 });
  }

  /**
   * Sends what the outbox holds past what is already in flight, up to the window; held readings are
   * dated as they go, and ones that cannot be dated are dropped without taking the window's room
   * (held.ts).
   */
  private pump(): void {
    this.tellOutboxDamage();
    // This boot's anchor is taken as soon as the clock is synchronised, broker or not (clock-anchor.ts).
    this.dating.anchor();
    const client = this.client;
    if (!client?.connected || this.stopping) return;
    const generation = this.generation;
    this.sendPosition = Math.max(this.sendPosition, this.options.outbox.cursor);
    const dropped = new Map<string, number>();
    const room = SEND_WINDOW - this.inflight;
    const mayDrop = () => this.inflight === 0;
    const sending = outgoing(this.options.outbox, this.sendPosition, room, this.dating, mayDrop, dropped);
    for (const { end, topic, payload, held } of sending) {
      if (held) this.emit('reading', held);
      this.inflight++;
      this.sendPosition = end;
      // MQTT-4.6.0-2: PUBACKs come back in the order the PUBLISHes went, so each ack moves the cursor.
      client.publish(topic, payload, { qos: 1 }, (err) => {
        if (generation !== this.generation || err) return;
        this.inflight--;
        this.options.outbox.ack(end);
        this.lastSent.set(topic, payload);
        this.emit('sent', { position: end });
        this.blink();
        if (this.inflight === 0) this.pump();
      });
    }
    this.sendPosition = Math.max(this.sendPosition, this.options.outbox.cursor);
    for (const [what, count] of dropped) this.emit('dropped', { what, count });
    // A run of undatable ones longer than one turn looks at: the rest at once, not at the next reading.
    if (dropped.size > 0 && this.inflight === 0) setImmediate(() => this.pump());
    this.tellOutboxDamage();
  }

  /**
   * Damage the outbox skipped to the next valid reading, or cut off at start (issue 25): told as readings
   * dropped (the log summarises).
   */
  private tellOutboxDamage(): void {
    for (const notice of this.options.outbox.takeNotices()) this.emit('dropped', notice);
  }

  /**
   * Home Assistant restarted: it has no state for any entity until the next reading, so send the newest
   * again.
   */
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
      const payload = {
        ...counts,
        lastError: lastError ? { kind: lastError.kind, message: lastError.message, at } : null,
        outboxDamage: this.options.outbox.damage,
      };
      const topic = diagTopic(this.options.device, sampler.spec.name);
      client.publish(topic, JSON.stringify(payload), { qos: 1, retain: true });
    }
  }
}

import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { MqttClient } from 'mqtt';
import {
  DEFAULT_LIMITS, INGEST_SUBSCRIPTION, parseDiag, parseDiagTopic, type ValidationLimits,
} from '../shared/contract.js';
import { decodeMessage, subscriptionsOf } from '../shared/sources/decode.js';
import type { Source } from '../shared/sources/source.js';
import { EventStreams } from './streams.js';

/** One event the page gets: a reading or a status change, as JSON. */
export type LiveEvent =
  | { type: 'reading'; device: string; sensor: string; ts: string; values: Record<string, number> }
  | { type: 'status'; device: string; status: string };

/**
 * What a broker message becomes for the page: an event per reading or status, none for anything ingest
 * would not store. Decoded as ingest does (shared/sources/decode.ts), so a Tasmota's readings show too. Pure.
 */
export function liveEventsOf(topic: string, payload: Buffer, receivedAt: Date, sources: readonly Source[] = [],
  limits: ValidationLimits = DEFAULT_LIMITS): LiveEvent[] {
  const decoded = decodeMessage(sources, topic, payload, receivedAt, limits);
  if ('ok' in decoded || decoded.kind === 'ignored') return [];
  if (decoded.kind === 'status') return [{ type: 'status', device: decoded.device, status: decoded.status }];
  return decoded.readings.map((reading) => ({
    type: 'reading', device: reading.device, sensor: reading.sensor, ts: reading.ts.toISOString(),
    values: Object.fromEntries(reading.metrics.map((metric) => [metric.metric, metric.value])),
  }));
}

export interface SensorDiag {
  attempts: number;
  readings: number;
  failures: Record<string, number>;
  lastError: { kind: string; message: string; at: string | null } | null;
}

/** A diag payload as the page shows it, or null when it is not one (validated by the contract). Pure. */
export function diagOf(payload: Buffer): SensorDiag | null {
  const counts = parseDiag(payload);
  if (!counts.ok) return null;
  const raw = JSON.parse(payload.toString()) as Record<string, unknown>;
  const failures: Record<string, number> = {};
  if (raw.failures && typeof raw.failures === 'object') {
    for (const [kind, count] of Object.entries(raw.failures as Record<string, unknown>).slice(0, 20)) {
      if (typeof count === 'number' && Number.isFinite(count)) failures[kind.slice(0, 32)] = count;
    }
  }
  const error = raw.lastError as Record<string, unknown> | null | undefined;
  const lastError = error && typeof error === 'object'
    ? {
      kind: String(error.kind ?? '').slice(0, 32), message: String(error.message ?? '').slice(0, 300),
      at: typeof error.at === 'string' ? error.at.slice(0, 40) : null,
    }
    : null;
  return { attempts: counts.diag.attempts, readings: counts.diag.readings, failures, lastError };
}

/** Diag sensors kept per device: a node has a handful; a hostile one may publish thousands of names. */
export const MAX_DIAG_SENSORS_PER_DEVICE = 64;
/** Devices whose diag is kept: a house has tens. */
export const MAX_DIAG_DEVICES = 256;
const HEARTBEAT_MS = 15_000;

export interface DiagDropped { device: string; sensor: string; reason: 'sensors' | 'devices' }

/**
 * Server-sent events of the readings and status messages the broker carries, so an open page
 * updates without reload and the browser never needs broker credentials: the server subscribes
 * once, with its own account, and fans out (./streams.ts admits and drops streams). It emits
 * `diagDropped` for each diag message beyond the caps; the entry point summarises them.
 *
 * start() subscribes (now if the client is connected, and on each connect) and starts the heartbeat;
 * stop({ timeoutMs }) closes the event streams, unsubscribes and leaves the MQTT client to whoever made it.
 * Both are safe to call twice.
 */
export class LiveFeed extends EventEmitter<{ diagDropped: [DiagDropped] }> {
  readonly streams = new EventStreams();
  /** Each sensor's newest read statistics (home/<device>/<sensor>/diag, retained), by device and sensor. */
  private readonly diag = new Map<string, Map<string, SensorDiag>>();
  private heartbeat?: NodeJS.Timeout;
  private running = false;
  /** Diag messages not kept because of the caps, since start. */
  diagDropped = 0;

  private readonly now: () => number;
  private readonly sources: readonly Source[];
  private readonly limits: ValidationLimits;
  private readonly topics: string[];

  constructor(private readonly client: MqttClient, { now = Date.now, sources = [], limits = DEFAULT_LIMITS }: {
    now?: () => number; sources?: readonly Source[]; limits?: ValidationLimits;
  } = {}) {
    super();
    this.now = now;
    this.sources = sources;
    this.limits = limits;
    this.topics = [...subscriptionsOf(sources), `${INGEST_SUBSCRIPTION}/diag`];
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.client.on('connect', this.subscribe);
    this.client.on('message', this.receive);
    if (this.client.connected) this.subscribe();
    this.heartbeat = setInterval(() => this.streams.send(': keep-alive\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async stop({ timeoutMs = 2000 }: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.heartbeat);
    this.client.off('connect', this.subscribe);
    this.client.off('message', this.receive);
    this.streams.closeAll();
    if (!this.client.connected) return;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)).unref());
    await Promise.race([this.client.unsubscribeAsync(this.topics).catch(() => {}), waited]);
    clearTimeout(timer);
  }

  private readonly subscribe = (): void => {
    this.client.subscribe(this.topics, { qos: 0 });
  };

  private readonly receive = (topic: string, payload: Buffer): void => {
    const diagTopic = parseDiagTopic(topic);
    if (diagTopic) return this.keepDiag(diagTopic.device, diagTopic.sensor, payload);
    for (const event of liveEventsOf(topic, payload, new Date(this.now()), this.sources, this.limits)) {
      this.streams.send(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    }
  };

  /** The read statistics the nodes publish, for the devices page. */
  diagnostics(device: string): Record<string, SensorDiag> {
    return Object.fromEntries(this.diag.get(device) ?? []);
  }

  /**
   * Bounded per device and in devices (issue 23, item 4): a sensor or device beyond is not kept; one
   * already kept is updated.
   */
  private keepDiag(device: string, sensor: string, payload: Buffer): void {
    const parsed = diagOf(payload);
    const sensors = this.diag.get(device);
    if (!parsed) {
      // An empty retained message clears it.
      sensors?.delete(sensor);
      if (sensors?.size === 0) this.diag.delete(device);
      return;
    }
    if (!sensors && this.diag.size >= MAX_DIAG_DEVICES) return this.dropDiag({ device, sensor, reason: 'devices' });
    if (sensors && !sensors.has(sensor) && sensors.size >= MAX_DIAG_SENSORS_PER_DEVICE) {
      return this.dropDiag({ device, sensor, reason: 'sensors' });
    }
    this.diag.set(device, (sensors ?? new Map<string, SensorDiag>()).set(sensor, parsed));
  }

  private dropDiag(dropped: DiagDropped): void {
    this.diagDropped++;
    this.emit('diagDropped', dropped);
  }

  /** The MQTT client it reads (for its failover count on /metrics). */
  get brokerClient(): MqttClient {
    return this.client;
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /**
   * Takes over a response as an event stream of `client` (./doors.ts clientOf); a feed not running
   * answers 503.
   */
  add(res: ServerResponse, client: string): void {
    if (!this.running) {
      res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      return void res.end(`${JSON.stringify({ error: 'live events are not running; try again' })}\n`);
    }
    this.streams.add(res, client, `retry: 2000\n: ${this.client.connected ? 'live' : 'waiting for the broker'}\n\n`);
  }
}

import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { MqttClient } from 'mqtt';
import { DEFAULT_LIMITS, INGEST_SUBSCRIPTION, parseDiag, parseDiagTopic, type ValidationLimits } from '../shared/contract.js';
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
export function liveEventsOf(topic: string, payload: Buffer, receivedAt: Date, sources: readonly Source[] = [], limits: ValidationLimits = DEFAULT_LIMITS): LiveEvent[] {
  const decoded = decodeMessage(sources, topic, payload, receivedAt, limits);
  if ('ok' in decoded || decoded.kind === 'ignored') return [];
  if (decoded.kind === 'status') return [{ type: 'status', device: decoded.device, status: decoded.status }];
  return decoded.readings.map((r) => ({ type: 'reading', device: r.device, sensor: r.sensor, ts: r.ts.toISOString(), values: Object.fromEntries(r.metrics.map((m) => [m.metric, m.value])) }));
}

export interface SensorDiag { attempts: number; readings: number; failures: Record<string, number>; lastError: { kind: string; message: string; at: string | null } | null }

/** A diag payload as the page shows it, or null when it is not one (validated by the contract). Pure. */
export function diagOf(payload: Buffer): SensorDiag | null {
  const counts = parseDiag(payload);
  if (!counts.ok) return null;
  const raw = JSON.parse(payload.toString()) as Record<string, unknown>;
  const failures: Record<string, number> = {};
  if (raw.failures && typeof raw.failures === 'object') {
    for (const [kind, n] of Object.entries(raw.failures as Record<string, unknown>).slice(0, 20)) if (typeof n === 'number' && Number.isFinite(n)) failures[kind.slice(0, 32)] = n;
  }
  const e = raw.lastError as Record<string, unknown> | null | undefined;
  const lastError = e && typeof e === 'object' ? { kind: String(e.kind ?? '').slice(0, 32), message: String(e.message ?? '').slice(0, 300), at: typeof e.at === 'string' ? e.at.slice(0, 40) : null } : null;
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
 */
export class LiveFeed extends EventEmitter<{ diagDropped: [DiagDropped] }> {
  readonly streams = new EventStreams();
  /** Each sensor's newest read statistics (home/<device>/<sensor>/diag, retained), by device and sensor. */
  private readonly diag = new Map<string, Map<string, SensorDiag>>();
  private heartbeat?: NodeJS.Timeout;
  /** Diag messages not kept because of the caps, since start. */
  diagDropped = 0;

  private readonly now: () => number;
  private readonly sources: readonly Source[];
  private readonly limits: ValidationLimits;

  constructor(private readonly client: MqttClient, { now = Date.now, sources = [], limits = DEFAULT_LIMITS }: { now?: () => number; sources?: readonly Source[]; limits?: ValidationLimits } = {}) {
    super();
    this.now = now;
    this.sources = sources;
    this.limits = limits;
    client.on('connect', () => client.subscribe([...subscriptionsOf(sources), `${INGEST_SUBSCRIPTION}/diag`], { qos: 0 }));
    client.on('message', (topic, payload) => {
      const d = parseDiagTopic(topic);
      if (d) return this.keepDiag(d.device, d.sensor, payload);
      for (const event of liveEventsOf(topic, payload, new Date(this.now()), this.sources, this.limits)) this.streams.send(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    });
    this.heartbeat = setInterval(() => this.streams.send(': keep-alive\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** The read statistics the nodes publish, for the devices page. */
  diagnostics(device: string): Record<string, SensorDiag> {
    return Object.fromEntries(this.diag.get(device) ?? []);
  }

  /** Bounded per device and in devices (issue 23, item 4): a sensor or device beyond is not kept; one already kept is updated. */
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
    if (sensors && !sensors.has(sensor) && sensors.size >= MAX_DIAG_SENSORS_PER_DEVICE) return this.dropDiag({ device, sensor, reason: 'sensors' });
    this.diag.set(device, (sensors ?? new Map<string, SensorDiag>()).set(sensor, parsed));
  }

  private dropDiag(d: DiagDropped): void {
    this.diagDropped++;
    this.emit('diagDropped', d);
  }

  /** The MQTT client it reads (for its failover count on /metrics). */
  get brokerClient(): MqttClient {
    return this.client;
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Takes over a response as an event stream of `client` (./doors.ts clientOf). */
  add(res: ServerResponse, client: string): void {
    this.streams.add(res, client, `retry: 2000\n: ${this.client.connected ? 'live' : 'waiting for the broker'}\n\n`);
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    this.streams.closeAll();
    await this.client.endAsync(true).catch(() => {});
  }
}

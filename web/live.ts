import type { ServerResponse } from 'node:http';
import type { MqttClient } from 'mqtt';
import { DEFAULT_LIMITS, INGEST_SUBSCRIPTION, parseDiag, parseDiagTopic } from '../shared/contract.js';
import { decodeMessage, subscriptionsOf } from '../shared/sources/decode.js';
import type { Source } from '../shared/sources/source.js';

/** One event the page gets: a reading or a status change, as JSON. */
export type LiveEvent =
  | { type: 'reading'; device: string; sensor: string; ts: string; values: Record<string, number> }
  | { type: 'status'; device: string; status: string };

/**
 * What a broker message becomes for the page: an event per reading or status, none for anything ingest
 * would not store. Decoded as ingest does (shared/sources/decode.ts), so a Tasmota's readings show too. Pure.
 */
export function liveEventsOf(topic: string, payload: Buffer, receivedAt: Date, sources: readonly Source[] = []): LiveEvent[] {
  const decoded = decodeMessage(sources, topic, payload, receivedAt, DEFAULT_LIMITS);
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

const MAX_CLIENTS = 100;
const HEARTBEAT_MS = 15_000;

/**
 * Server-sent events of the readings and status messages the broker carries, so an open page
 * updates without reload and the browser never needs broker credentials: the server subscribes
 * once, with its own account, and fans out.
 */
export class LiveFeed {
  private readonly clients = new Set<ServerResponse>();
  /** Each sensor's newest read statistics (home/<device>/<sensor>/diag, retained), by device and sensor. */
  private readonly diag = new Map<string, Map<string, SensorDiag>>();
  private heartbeat?: NodeJS.Timeout;

  private readonly now: () => number;
  private readonly sources: readonly Source[];

  constructor(private readonly client: MqttClient, { now = Date.now, sources = [] }: { now?: () => number; sources?: readonly Source[] } = {}) {
    this.now = now;
    this.sources = sources;
    client.on('connect', () => client.subscribe([...subscriptionsOf(sources), `${INGEST_SUBSCRIPTION}/diag`], { qos: 0 }));
    client.on('message', (topic, payload) => {
      const d = parseDiagTopic(topic);
      if (d) return this.keepDiag(d.device, d.sensor, payload);
      for (const event of liveEventsOf(topic, payload, new Date(this.now()), this.sources)) this.broadcast(event);
    });
    this.heartbeat = setInterval(() => this.clients.forEach((res) => res.write(': keep-alive\n\n')), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** The read statistics the nodes publish, for the devices page. */
  diagnostics(device: string): Record<string, SensorDiag> {
    return Object.fromEntries(this.diag.get(device) ?? []);
  }

  private keepDiag(device: string, sensor: string, payload: Buffer): void {
    const parsed = diagOf(payload);
    const sensors = this.diag.get(device) ?? new Map<string, SensorDiag>();
    if (parsed) sensors.set(sensor, parsed);
    else sensors.delete(sensor); // an empty retained message clears it
    // Bounded: a house has tens of devices; a broker full of junk topics must not grow this forever.
    if (this.diag.size < 1000 || this.diag.has(device)) this.diag.set(device, sensors);
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Takes over a response as an event stream; false when too many are open. */
  add(res: ServerResponse): boolean {
    if (this.clients.size >= MAX_CLIENTS) return false;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: 2000\n: ${this.client.connected ? 'live' : 'waiting for the broker'}\n\n`);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    return true;
  }

  private broadcast(event: LiveEvent): void {
    const frame = `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    for (const res of this.clients) res.write(frame);
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const res of this.clients) res.end();
    this.clients.clear();
    await this.client.endAsync(true).catch(() => {});
  }
}

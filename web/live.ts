import type { ServerResponse } from 'node:http';
import type { MqttClient } from 'mqtt';
import { INGEST_SUBSCRIPTION, parseReading, parseStatus, parseTopic } from '../shared/contract.js';

/** One event the page gets: a reading or a status change, as JSON. */
export type LiveEvent =
  | { type: 'reading'; device: string; sensor: string; ts: string; values: Record<string, number> }
  | { type: 'status'; device: string; status: string };

/** What a broker message becomes for the page, or null (anything ingest would reject is not shown). Pure. */
export function liveEventOf(topic: string, payload: Buffer, receivedAt: Date): LiveEvent | null {
  const t = parseTopic(topic);
  if (!t.ok) return null;
  if (t.topic.kind === 'status') {
    const s = parseStatus(payload);
    return s.ok ? { type: 'status', device: t.topic.device, status: s.status } : null;
  }
  const r = parseReading(t.topic.device, t.topic.sensor, payload, receivedAt);
  if (!r.ok) return null;
  return { type: 'reading', device: r.reading.device, sensor: r.reading.sensor, ts: r.reading.ts.toISOString(), values: Object.fromEntries(r.reading.metrics.map((m) => [m.metric, m.value])) };
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
  private heartbeat?: NodeJS.Timeout;

  constructor(private readonly client: MqttClient, private readonly now: () => number = Date.now) {
    client.on('connect', () => client.subscribe(INGEST_SUBSCRIPTION, { qos: 0 }));
    client.on('message', (topic, payload) => {
      const event = liveEventOf(topic, payload, new Date(this.now()));
      if (event) this.broadcast(event);
    });
    this.heartbeat = setInterval(() => this.clients.forEach((res) => res.write(': keep-alive\n\n')), HEARTBEAT_MS);
    this.heartbeat.unref();
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

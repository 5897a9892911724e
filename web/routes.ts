import type { ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';
import { withTimeout } from '../shared/timeout.js';
import { deviceStats } from '../storage/device-stats.js';
import { streamHistoryCsv } from './csv-download.js';
import type { LiveFeed } from './live.js';
import { parseHistoryQuery, parseLimit, parseReader } from './params.js';
import * as queries from './queries.js';

const health = sqlFile('web', 'health.sql');

/** A request's query was not understood: answered 400 with every problem named. */
export class BadRequest extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** What a route gets: its query parameters, the response, who asks (./doors.ts clientOf), and a JSON answer. */
export interface RouteRequest {
  params: URLSearchParams;
  res: ServerResponse;
  client: string;
  json(status: number, body: unknown): void;
}

export type Route = (request: RouteRequest) => Promise<void> | void;

/** What the routes read: the database, the live feed when there is a broker, the clock, the metrics. */
export interface RouteDeps {
  db: Db;
  live?: LiveFeed;
  now: () => number;
  metrics: Registry;
}

/** The pages of the JSON API, for a 404's list. */
export const API_PATHS = [
  '/api/latest', '/api/devices', '/api/history', '/api/history.csv', '/api/alerts', '/api/rejected', '/api/events',
];

/** The API's routes, path to handler (GET and HEAD; the server checks the method and the door first). */
export function createRoutes({ db, live, now, metrics }: RouteDeps): Map<string, Route> {
  const history = (params: URLSearchParams) => {
    const parsed = parseHistoryQuery(params, new Date(now()));
    if (!parsed.ok) throw new BadRequest(parsed.problems);
    return parsed.value;
  };
  return new Map<string, Route>([
    ['/healthz', async ({ json }) => {
      const database = await withTimeout(db.one(health), 800, 'the database').then(() => true, () => false);
      const broker = live ? live.connected : true;
      json(database && broker ? 200 : 503, { ok: database && broker, database, broker });
    }],
    ['/metrics', async ({ res }) => {
      res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
      res.end(await metrics.metrics());
    }],
    ['/api/latest', async ({ json }) => json(200, await queries.latest(db))],
    ['/api/devices', async ({ json }) => {
      const { devices } = await deviceStats(db);
      json(200, devices.map((device) => ({
        device: device.device, status: device.status, firstSeen: device.first_seen, lastSeen: device.last_seen,
        sensors: device.sensors, series: device.series, values: device.values, rawValues: device.raw_values,
        bytes: device.bytes, diag: live?.diagnostics(device.device) ?? {},
      })));
    }],
    ['/api/history.csv', ({ params, res }) => streamHistoryCsv(db, res, history(params))],
    ['/api/history', async ({ params, json }) => json(200, await queries.history(db, history(params)))],
    ['/api/alerts', async ({ params, json }) => {
      const reader = parseReader(params);
      if (!reader.ok) throw new BadRequest(reader.problems);
      json(200, await queries.alerts(db, parseLimit(params.get('limit'), 50, 500), reader.value));
    }],
    ['/api/rejected', async ({ params, json }) => {
      json(200, await queries.rejected(db, parseLimit(params.get('limit'), 50, 500)));
    }],
    ['/api/events', ({ res, client, json }) => {
      if (!live) return json(404, { error: 'live events need the broker (MQTT_URL)' });
      live.add(res, client);
    }],
  ]);
}

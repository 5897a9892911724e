import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../shared/paths.js';
import type { Db } from '../shared/db.js';
import { listen } from '../shared/listen.js';
import { withTimeout } from '../shared/timeout.js';
import { WebAuth, type WebAuthOptions } from './auth.js';
import { door } from './doors.js';
import type { LiveFeed } from './live.js';
import { createWebMetrics } from './metrics.js';
import { parseHistoryQuery, parseLimit, parseReader, tierFor, type HistoryQuery } from './params.js';
import { deviceStats } from '../storage/device-stats.js';
import { exportRows } from '../storage/export.js';
import { serializer } from '../storage/export-format.js';
import * as q from './queries.js';

export interface WebServerOptions {
  db: Db;
  live?: LiveFeed;
  host: string;
  port: number;
  now?: () => number;
  /** A failed login waits this long before its answer. */
  failureDelayMs?: number;
  /** Host names besides loopback the server answers to (WEB_HOSTS, parsed by shared/allowed-hosts.ts). */
  allowedHosts?: readonly string[];
  /** How often reader accounts are reloaded (default 5 s). */
  accountsRefreshMs?: number;
  /** Where the built dashboard is (default dist/web/public). */
  publicDir?: string;
  /**
   * A request failed for a reason other than its own (the database): for the log. `aborted`: its answer
   * had begun (a CSV download), so its connection was cut rather than ended, for the client to see it failed.
   */
  onError?: (err: unknown, path: string, aborted: boolean) => void;
}

/** Sent with every answer: nothing of ours is framed, sniffed, or loaded from anywhere else. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** The dashboard, built by `npm run build` (ui/build.mjs); read once, served from memory. */
const PUBLIC_DIR = join(PACKAGE_ROOT, 'dist', 'web', 'public');
const ASSETS: Record<string, string> = { '/index.html': 'text/html; charset=utf-8', '/app.js': 'text/javascript; charset=utf-8', '/style.css': 'text/css; charset=utf-8', '/uPlot.min.css': 'text/css; charset=utf-8' };
function loadAssets(dir: string): Map<string, { type: string; body: Buffer }> {
  const assets = new Map<string, { type: string; body: Buffer }>();
  for (const [path, type] of Object.entries(ASSETS)) {
    try {
      assets.set(path, { type, body: readFileSync(join(dir, path)) });
    } catch {
      // Not built: the API still works, and / says how to build the page.
    }
  }
  return assets;
}

const INDEX = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>pimonitor</title></head>
<body><h1>pimonitor</h1><p>The dashboard is not built here (<code>npm run build</code>). The JSON API (README "Web API"):</p><ul>
<li><a href="/api/latest">/api/latest</a></li><li><a href="/api/devices">/api/devices</a></li>
<li>/api/history?device=&amp;sensor=&amp;from=-7d</li><li><a href="/api/alerts">/api/alerts</a></li>
<li><a href="/api/rejected">/api/rejected</a></li><li>/api/events (server-sent events)</li></ul></body></html>
`;

class BadRequest extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/**
 * `pimonitor web`: the JSON API under /api/ and live events, read-only. ./doors.ts decides, per request,
 * whether it is refused (a host name not ours), open (this machine, straight) or needs a reader account
 * (./auth.ts). start() and stop({timeoutMs}).
 */
export class WebServer {
  private server?: Server;
  private bound = 0;
  readonly auth: WebAuth;
  private readonly metrics: ReturnType<typeof createWebMetrics>;
  private readonly now: () => number;
  private readonly assets: Map<string, { type: string; body: Buffer }>;

  constructor(private readonly o: WebServerOptions) {
    this.now = o.now ?? Date.now;
    this.assets = loadAssets(o.publicDir ?? PUBLIC_DIR);
    const auth: WebAuthOptions = { now: this.now, failureDelayMs: o.failureDelayMs, refreshMs: o.accountsRefreshMs };
    this.auth = new WebAuth(o.db, auth);
    this.metrics = createWebMetrics(this.auth, o.live);
  }

  get port(): number {
    return this.bound;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => void this.handle(req, res));
    server.requestTimeout = 15_000;
    server.headersTimeout = 10_000;
    this.server = server;
    await this.auth.start();
    this.bound = await listen(server, this.o.port, this.o.host, 'WEB_PORT (web.port)');
  }

  async stop({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.auth.stop();
    await this.o.live?.stop();
    await Promise.race([new Promise<void>((resolve) => server.close(() => resolve())), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    server.closeAllConnections();
  }

  /** The history as CSV, through `pimonitor export`'s code path (time windows, the same columns), streamed. */
  private async csv(res: ServerResponse, h: HistoryQuery): Promise<void> {
    const every = tierFor(h.from, h.to);
    const format = serializer('csv', every, 'UTC');
    const name = `${h.device}-${h.sensor}${h.metric ? `-${h.metric}` : ''}-${h.from.toISOString().slice(0, 10)}.csv`;
    res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}"`, 'cache-control': 'no-store' });
    res.write(format.header());
    for await (const rows of exportRows(this.o.db, { from: h.from, to: h.to, every, devices: [h.device], sensors: [h.sensor], ...(h.metric ? { metrics: [h.metric] } : {}) })) {
      // Backpressure, and a download the browser cancelled stops the export instead of waiting for ever.
      if (!res.write(format.page(rows))) await drainedOrClosed(res);
      if (res.destroyed) return;
    }
    res.end(format.footer());
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'this API is read-only: GET only' });
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://pimonitor.invalid');
      } catch {
        return json(400, { error: 'not a URL' });
      }
      const d = door(req.socket.remoteAddress, req.headers, this.o.allowedHosts ?? []);
      if (d.kind === 'refuse') return json(d.status, { error: d.error });
      if (d.kind === 'login') {
        const answer = await this.auth.check(req.headers.authorization, d.client);
        if (!answer.ok) {
          if (answer.status === 401) res.setHeader('www-authenticate', 'Basic realm="pimonitor", charset="UTF-8"');
          if (answer.retryAfterS) res.setHeader('retry-after', String(answer.retryAfterS));
          return json(answer.status, { error: answer.error });
        }
      }
      const p = url.searchParams;
      const asset = this.assets.get(url.pathname === '/' ? '/index.html' : url.pathname);
      if (asset) {
        res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
        return void res.end(req.method === 'HEAD' ? undefined : asset.body);
      }
      switch (url.pathname) {
        case '/':
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          return void res.end(INDEX);
        case '/favicon.ico':
          res.writeHead(204);
          return void res.end();
        case '/healthz': {
          const database = await withTimeout(this.o.db.one('SELECT 1'), 800, 'the database').then(() => true, () => false);
          const broker = this.o.live ? this.o.live.connected : true;
          return json(database && broker ? 200 : 503, { ok: database && broker, database, broker });
        }
        case '/metrics':
          res.writeHead(200, { 'content-type': this.metrics.contentType, 'cache-control': 'no-store' });
          return void res.end(await this.metrics.metrics());
        case '/api/latest':
          return json(200, await q.latest(this.o.db));
        case '/api/devices': {
          const { devices } = await deviceStats(this.o.db);
          return json(200, devices.map((d) => ({
            device: d.device, status: d.status, firstSeen: d.first_seen, lastSeen: d.last_seen, sensors: d.sensors, series: d.series,
            values: d.values, rawValues: d.raw_values, bytes: d.bytes, diag: this.o.live?.diagnostics(d.device) ?? {},
          })));
        }
        case '/api/history.csv': {
          const parsed = parseHistoryQuery(p, new Date(this.now()));
          if (!parsed.ok) throw new BadRequest(parsed.problems);
          return await this.csv(res, parsed.value);
        }
        case '/api/history': {
          const parsed = parseHistoryQuery(p, new Date(this.now()));
          if (!parsed.ok) throw new BadRequest(parsed.problems);
          return json(200, await q.history(this.o.db, parsed.value));
        }
        case '/api/alerts': {
          const reader = parseReader(p);
          if (!reader.ok) throw new BadRequest(reader.problems);
          return json(200, await q.alerts(this.o.db, parseLimit(p.get('limit'), 50, 500), reader.value));
        }
        case '/api/rejected':
          return json(200, await q.rejected(this.o.db, parseLimit(p.get('limit'), 50, 500)));
        case '/api/events':
          if (!this.o.live) return json(404, { error: 'live events need the broker (MQTT_URL)' });
          return this.o.live.add(res, d.client);
        default:
          return json(404, { error: `no such page: ${url.pathname.slice(0, 100)}`, api: ['/api/latest', '/api/devices', '/api/history', '/api/history.csv', '/api/alerts', '/api/rejected', '/api/events'] });
      }
    } catch (err) {
      if (res.headersSent) {
        // A status 200 is on its way with part of the body: ending it cleanly would make a broken download
        // look whole. Destroyed, a chunked answer lacks its last chunk: the browser shows a failed download,
        // curl exits 18.
        this.o.onError?.(err, (req.url ?? '').slice(0, 200), true);
        return void res.destroy();
      }
      if (err instanceof BadRequest) return json(400, { error: 'bad request', problems: err.problems });
      this.o.onError?.(err, (req.url ?? '').slice(0, 200), false);
      // The database's own words stay in the server's log; the page gets what it can act on.
      return json(503, { error: 'the database did not answer; try again' });
    }
  }
}

/** Waits for the response to drain or close, and leaves no listener behind (a long download waits thousands of times). */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

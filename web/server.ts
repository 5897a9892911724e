import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Db } from '../shared/db.js';
import { listen } from '../shared/listen.js';
import { DashboardAssets } from './assets.js';
import { WebAuth, type WebAuthOptions } from './auth.js';
import { door } from './doors.js';
import type { LiveFeed } from './live.js';
import { createWebMetrics } from './metrics.js';
import { API_PATHS, BadRequest, createRoutes, type Route } from './routes.js';

export interface WebServerOptions {
  db: Db;
  /** Read for /api/events, /healthz and the devices' diag; started and stopped by whoever made it. */
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
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/**
 * `pimonitor web`: the JSON API under /api/ (./routes.ts), live events and the dashboard (./assets.ts),
 * read-only. ./doors.ts decides, per request, whether it is refused (a host name not ours), open (this
 * machine, straight) or needs a reader account (./auth.ts). A failure is mapped to an answer here.
 * start() and stop({timeoutMs}); the live feed it is given is its creator's to start and stop.
 */
export class WebServer {
  private server?: Server;
  private bound = 0;
  readonly auth: WebAuth;
  private readonly assets: DashboardAssets;
  private readonly routes: Map<string, Route>;

  constructor(private readonly options: WebServerOptions) {
    const now = options.now ?? Date.now;
    this.assets = new DashboardAssets(options.publicDir);
    const auth: WebAuthOptions = { now, failureDelayMs: options.failureDelayMs, refreshMs: options.accountsRefreshMs };
    this.auth = new WebAuth(options.db, auth);
    const metrics = createWebMetrics(this.auth, options.live);
    this.routes = createRoutes({ db: options.db, live: options.live, now, metrics });
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
    this.bound = await listen(server, this.options.port, this.options.host, 'WEB_PORT (web.port)');
  }

  async stop({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.auth.stop();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)).unref());
    await Promise.race([new Promise<void>((resolve) => server.close(() => resolve())), waited]);
    clearTimeout(timer);
    server.closeAllConnections();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
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
      const verdict = door(req.socket.remoteAddress, req.headers, this.options.allowedHosts ?? []);
      if (verdict.kind === 'refuse') return json(verdict.status, { error: verdict.error });
      if (verdict.kind === 'login') {
        const answer = await this.auth.check(req.headers.authorization, verdict.client);
        if (!answer.ok) {
          if (answer.status === 401) res.setHeader('www-authenticate', 'Basic realm="pimonitor", charset="UTF-8"');
          if (answer.retryAfterS) res.setHeader('retry-after', String(answer.retryAfterS));
          return json(answer.status, { error: answer.error });
        }
      }
      if (this.assets.serve(req, res, url.pathname)) return;
      const route = this.routes.get(url.pathname);
      if (!route) return json(404, { error: `no such page: ${url.pathname.slice(0, 100)}`, api: API_PATHS });
      await route({ params: url.searchParams, res, client: verdict.client, json });
    } catch (err) {
      this.fail(req, res, err, json);
    }
  }

  /** Maps a failure to its answer: 400 for a bad request, 503 for the database, a cut connection mid-answer. */
  private fail(req: IncomingMessage, res: ServerResponse, err: unknown, json: (status: number, body: unknown) => void) {
    const path = (req.url ?? '').slice(0, 200);
    if (res.headersSent) {
      // A status 200 is on its way with part of the body: ending it cleanly would make a broken download
      // look whole. Destroyed, a chunked answer lacks its last chunk: the browser shows a failed download,
      // curl exits 18.
      this.options.onError?.(err, path, true);
      return void res.destroy();
    }
    if (err instanceof BadRequest) return json(400, { error: 'bad request', problems: err.problems });
    this.options.onError?.(err, path, false);
    // The database's own words stay in the server's log; the page gets what it can act on.
    json(503, { error: 'the database did not answer; try again' });
  }
}

import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { withTimeout } from './timeout.js';
import { listen } from './listen.js';

/** /healthz answers within this, whatever a part does: a health check that hangs is itself a failure. */
export const HEALTH_TIMEOUT_MS = 900;

export interface HealthCheck {
  /** Each named part and whether it is healthy now. */
  check(): Promise<Record<string, boolean>>;
}

export interface OpsServer {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * GET /metrics (Prometheus text) and GET /healthz (200 when every part is healthy, else 503, JSON), for
 * ingest and the broker. `setting` names the port's setting in the error when the port is taken.
 */
export async function startOpsServer(
  registry: Registry,
  health: HealthCheck,
  host: string,
  port: number,
  setting: string,
): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET') return reply(405, 'text/plain', 'GET only\n');
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => reply(200, registry.contentType, text),
        (err: Error) => reply(500, 'text/plain', `${err.message}\n`),
      );
    } else if (path === '/healthz') {
      withTimeout(health.check(), HEALTH_TIMEOUT_MS, 'the health check').then((parts) => {
        const ok = Object.values(parts).every(Boolean);
        reply(ok ? 200 : 503, 'application/json', `${JSON.stringify({ ok, ...parts })}\n`);
      }, (err: Error) => reply(503, 'application/json', `${JSON.stringify({ ok: false, error: err.message })}\n`));
    } else {
      reply(404, 'text/plain', 'try /metrics or /healthz\n');
    }
  });
  server.requestTimeout = 5000;
  server.headersTimeout = 5000;
  const bound = await listen(server, port, host, setting);
  return {
    port: bound,
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

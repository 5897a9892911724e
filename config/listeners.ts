import type { Config } from './index.js';

/** A port some process of this configuration listens on, when it does. */
export interface Listener {
  /** The setting of the port, e.g. broker.websocket.port. */
  key: string;
  port: number;
  host: string;
}

/**
 * Every listener this configuration turns on, as `pimonitor up` runs them on one machine. Port 0 is
 * left out: it picks a free port, or turns an endpoint off, and never collides.
 *   - the embedded database when database.url is empty;
 *   - the broker's listeners and its /metrics when broker.embedded (TLS and WebSocket when enabled);
 *   - ingest's /metrics and the web server always; the alerts worker's /metrics when there are rules.
 */
export function listenersOf(config: Config): Listener[] {
  const { broker: b, database, ingest, alerts, web } = config;
  const all: Array<Listener | false> = [
    database.url === ''
      && { key: 'database.embedded.port', port: database.embedded.port, host: database.embedded.host },
    b.embedded && { key: 'broker.port', port: b.port, host: b.host },
    b.embedded && b.tls.enabled && { key: 'broker.tls.port', port: b.tls.port, host: b.host },
    b.embedded && b.websocket.enabled && { key: 'broker.websocket.port', port: b.websocket.port, host: b.host },
    b.embedded && { key: 'broker.httpPort', port: b.httpPort, host: b.httpHost },
    { key: 'ingest.httpPort', port: ingest.httpPort, host: ingest.httpHost },
    (alerts.rules as unknown[]).length > 0 && { key: 'alerts.httpPort', port: alerts.httpPort, host: alerts.httpHost },
    { key: 'web.port', port: web.port, host: web.host },
  ];
  return all.filter((l): l is Listener => l !== false && l.port !== 0);
}

/** Any address (0.0.0.0, ::, or none given) takes the port on every address, so it collides with all. */
const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]']);
const normal = (host: string) => (host === 'localhost' ? '127.0.0.1' : host.toLowerCase());

/**
 * Whether two listeners want the same port: the same number on the same address, or on any address
 * and another. Names are compared as written (but localhost is 127.0.0.1): a host name that resolves
 * to another listener's address is not caught here, and fails at start with the port's setting named.
 */
export function collide(a: Listener, b: Listener): boolean {
  if (a.port !== b.port) return false;
  const [x, y] = [normal(a.host), normal(b.host)];
  return x === y || WILDCARDS.has(x) || WILDCARDS.has(y);
}

/** Each pair of listeners on one port, once. */
export function collisions(listeners: readonly Listener[]): Array<[Listener, Listener]> {
  return listeners.flatMap((a, i) => listeners.slice(i + 1)
    .filter((b) => collide(a, b))
    .map((b): [Listener, Listener] => [a, b]));
}

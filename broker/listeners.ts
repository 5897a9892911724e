import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { originAllowed } from '../shared/allowed-hosts.js';
import { listen } from '../shared/listen.js';

export interface TlsListener {
  host: string;
  port: number;
  certFile: string;
  keyFile: string;
  /** CA of client certificates; with requireClientCert, a client must present one it signed. */
  caFile?: string;
  requireClientCert?: boolean;
}

export interface WebSocketListener {
  host: string;
  port: number;
  /**
   * Host names besides loopback whose pages may connect from a browser (WEB_HOSTS, parsed by
   * shared/allowed-hosts.ts parseHostList). A WebSocket whose Origin names another site is refused
   * with 403 before any MQTT; one without Origin (not a browser) goes on to the login. Default: none.
   */
  allowedHosts?: readonly string[];
}

type Handle = (stream: import('node:stream').Duplex, request?: import('node:http').IncomingMessage) => unknown;

/** MQTT over TLS (8883): the same broker, with certificates read from files. */
export async function listenTls(
  handle: Handle,
  options: TlsListener,
  maxConnections: number,
): Promise<{ server: Server; port: number }> {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new Error(`TLS ${what} ${path} cannot be read: ${why}`);
    }
  };
  const server = createTlsServer(
    {
      cert: read(options.certFile, 'certificate'),
      key: read(options.keyFile, 'key'),
      ca: options.caFile ? read(options.caFile, 'CA') : undefined,
      requestCert: Boolean(options.caFile),
      rejectUnauthorized: Boolean(options.requireClientCert),
    },
    (socket) => handle(socket),
  );
  server.maxConnections = maxConnections;
  return { server, port: await listen(server, options.port, options.host, 'MQTT_TLS_PORT (broker.tls.port)') };
}

/** MQTT over WebSocket, for dashboards in a browser (subprotocol "mqtt"). */
export async function listenWebSocket(
  handle: Handle,
  options: WebSocketListener,
  maxPacketBytes: number,
): Promise<{ server: Server; port: number; close(): void }> {
  const http = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' });
    res.end('MQTT over WebSocket: connect with a WebSocket client (subprotocol mqtt)\n');
  });
  // ws refuses a larger frame itself, as the TCP listeners' packet-size guard does.
  // A page of another site must not use a visitor's browser (on the LAN, or this machine) as its client
  // to the broker: browsers always send Origin, and cannot forge it (issue 23, item 5).
  const allowed = options.allowedHosts ?? [];
  const wss = new WebSocketServer({
    server: http, maxPayload: maxPacketBytes,
    verifyClient: ({ origin }: { origin?: string }, done: (ok: boolean, code?: number, message?: string) => void) => {
      if (originAllowed(origin, allowed)) return done(true);
      done(false, 403, 'Origin not allowed: add the page\'s host name to WEB_HOSTS');
    },
  });
  wss.on('connection', (ws, request) => {
    const stream = createWebSocketStream(ws);
    // The policy reads the peer address from the stream, as from a TCP socket.
    Object.assign(stream, { remoteAddress: request.socket.remoteAddress });
    handle(stream, request);
  });
  const port = await listen(http, options.port, options.host, 'MQTT_WS_PORT (broker.websocket.port)');
  return { server: http, port, close: () => wss.close() };
}

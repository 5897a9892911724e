import { Aedes, type AedesOptions, type Client } from 'aedes';
import { createServer } from 'node:net';
import { listen } from '../shared/listen.js';
import type { Logger } from '../shared/log.js';
import { Authenticator } from './authenticator.js';
import { listenTls, listenWebSocket, type TlsListener, type WebSocketListener } from './listeners.js';
import { PacketSizeGuard } from './packet-size-guard.js';
import { DEFAULT_LIMITS, RateLimiter, topicProblem, type BrokerLimits } from './limits.js';
import { canPublish, canSubscribe, type Principal } from './policy.js';

export interface BrokerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  log: Logger;
  /** Accounts; without it, the broker behaves as with no accounts: anonymous on loopback only. */
  authenticator?: Authenticator;
  limits?: Partial<BrokerLimits>;
  tls?: TlsListener;
  websocket?: WebSocketListener;
  /** Persistence and emitter shared with other broker processes (Redis); in memory when absent. */
  cluster?: Pick<AedesOptions, 'persistence' | 'mq' | 'id'>;
}

export interface BrokerStats {
  failedLogins: number;
  deniedPublishes: number;
  deniedSubscriptions: number;
  disconnectedForLimits: number;
}

export interface RunningBroker {
  readonly port: number;
  /** What a client on this machine connects to. */
  readonly url: string;
  readonly stats: BrokerStats;
  readonly connectedClients: number;
  readonly tlsPort?: number;
  readonly websocketPort?: number;
  stop(): Promise<void>;
}

/** Marks errors the broker's own policy raised: already logged once, so Aedes's clientError is not logged again. */
const POLICY = Symbol('pimonitor policy');
const policyError = <T extends object>(message: string, extra?: T): Error & T => Object.assign(new Error(message), { [POLICY]: true }, extra) as Error & T;

const remoteAddress = (client: Client) => (client.conn as { remoteAddress?: string } | undefined)?.remoteAddress;

/**
 * The embedded MQTT 3.1.1 broker: Aedes over TCP, so Home Assistant, Node-RED and mosquitto_sub read
 * the same home/# topics as ingest. Policy is deny-by-default hooks: who may connect (authenticator),
 * publish and subscribe where (policy.ts), within which limits (limits.ts).
 */
export async function startBroker({ host, port, log, authenticator, limits: overrides, cluster, tls, websocket }: BrokerOptions): Promise<RunningBroker> {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  const stats: BrokerStats = { failedLogins: 0, deniedPublishes: 0, deniedSubscriptions: 0, disconnectedForLimits: 0 };
  const principals = new WeakMap<Client, Principal>();
  const rates = new WeakMap<Client, RateLimiter>();
  // Denials are logged once per client and topic, not per message.
  const logged = new WeakMap<Client, Set<string>>();
  const denyOnce = (client: Client, what: string, topic: string, reason: string) => {
    const seen = logged.get(client) ?? new Set<string>();
    logged.set(client, seen);
    if (seen.has(`${what} ${topic}`)) return;
    seen.add(`${what} ${topic}`);
    log.warn({ clientId: client.id, topic, reason }, `${what} denied`);
  };
  const principalOf = (client: Client): Principal => principals.get(client) ?? { kind: 'anonymous' };
  // Without accounts, the rule is the one an authenticator with none applies: anonymous on loopback only.
  const auth = authenticator ?? new Authenticator(async () => [], { failureDelayMs: 0 });

  const aedes = await Aedes.createBroker({
    ...cluster,
    drainTimeout: limits.drainTimeoutMs,
    maxTopicLevels: limits.maxTopicLevels,
    maxInflightInbound: limits.maxInflight,
    authenticate(client, username, password, done) {
      const check = auth.authenticate(username, password, remoteAddress(client));
      void check.then((result) => {
        if (result.ok) {
          principals.set(client, result.principal);
          rates.set(client, new RateLimiter(limits.maxPublishesPerSecond));
          return done(null, true);
        }
        stats.failedLogins++;
        log.warn({ clientId: client.id, address: remoteAddress(client), reason: result.reason }, 'login refused');
        done(policyError(result.reason, { returnCode: result.returnCode }), false);
      });
    },
    authorizePublish(client, packet, done) {
      if (!client) return done(null); // the broker's own publishes ($SYS, wills it replays)
      const tooBig = packet.payload.length > limits.maxPayloadBytes ? `payload is ${packet.payload.length} bytes, more than ${limits.maxPayloadBytes}` : null;
      const problem = tooBig ?? topicProblem(packet.topic, limits) ?? (rates.get(client)?.take() === false ? `more than ${limits.maxPublishesPerSecond} publishes a second` : null);
      if (problem) {
        // MQTT 3.1.1 has no way to refuse one PUBLISH: the connection is closed (as Mosquitto does for oversize packets).
        stats.disconnectedForLimits++;
        log.warn({ clientId: client.id, topic: packet.topic.slice(0, 100), reason: problem }, 'client disconnected: over a limit');
        return done(policyError(problem));
      }
      const decision = canPublish(principalOf(client), packet.topic);
      if (decision.ok) return done(null);
      stats.deniedPublishes++;
      denyOnce(client, 'publish', packet.topic, decision.reason);
      done(policyError(decision.reason));
    },
    authorizeSubscribe(client, subscription, done) {
      const overLimit = topicProblem(subscription.topic, limits);
      const decision = overLimit ? { ok: false as const, reason: overLimit } : canSubscribe(principalOf(client), subscription.topic);
      if (decision.ok) return done(null, subscription);
      stats.deniedSubscriptions++;
      denyOnce(client, 'subscribe', subscription.topic, decision.reason);
      done(null, null); // a failure code in the SUBACK; the client stays connected
    },
  });
  aedes.on('client', (client) => log.info({ clientId: client.id, address: remoteAddress(client), as: describe(principalOf(client)) }, 'client connected'));
  aedes.on('clientDisconnect', (client) => log.info({ clientId: client.id }, 'client disconnected'));
  aedes.on('clientError', (client, err) => {
    if (!(POLICY in err)) log.warn({ clientId: client.id, err: err.message }, 'client error');
  });
  aedes.on('connectionError', (_client, err) => log.warn({ err: err.message }, 'connection error before CONNECT'));

  // A revoked or rotated account is logged out at once, not at its next reconnect.
  authenticator?.on('changed', (names) => {
    for (const client of Object.values((aedes as unknown as { clients: Record<string, Client> }).clients)) {
      const who = principalOf(client);
      if (who.kind === 'account' && names.includes(who.name)) client.close();
    }
  });

  // The largest packet a client may send: a payload at the limit, its topic, and the headers.
  const maxPacketBytes = limits.maxPayloadBytes + 4 * limits.maxTopicLength + 1024;
  /** Hands a connection to Aedes, closing it as soon as a packet header announces more than maxPacketBytes. */
  const handle = (socket: import('node:stream').Duplex) => {
    const client = aedes.handle(socket);
    const guard = new PacketSizeGuard(maxPacketBytes);
    // Attached after Aedes's own reader, this only observes what Aedes reads; it does not start a flow.
    socket.on('data', (chunk: Buffer) => {
      const problem = guard.feed(chunk);
      if (!problem) return;
      stats.disconnectedForLimits++;
      log.warn({ clientId: client.id, address: (socket as { remoteAddress?: string }).remoteAddress, reason: problem }, 'client disconnected: over a limit');
      socket.destroy();
    });
    return client;
  };
  const server = createServer(handle);
  server.maxConnections = limits.maxConnections;
  const extra: Array<{ close(): void; server: import('node:net').Server }> = [];
  let bound: number;
  let tlsPort: number | undefined;
  let websocketPort: number | undefined;
  try {
    bound = await listen(server, port, host, 'MQTT_PORT (broker.port)');
    if (tls) {
      const listener = await listenTls(handle, tls, limits.maxConnections);
      extra.push({ server: listener.server, close: () => {} });
      tlsPort = listener.port;
      log.info({ host: tls.host, port: tlsPort, clientCertificates: tls.requireClientCert ? 'required' : tls.caFile ? 'optional' : 'no' }, 'MQTT over TLS listening');
    }
    if (websocket) {
      const listener = await listenWebSocket(aedes.handle, websocket, maxPacketBytes);
      extra.push(listener);
      websocketPort = listener.port;
      log.info({ host: websocket.host, port: websocketPort }, 'MQTT over WebSocket listening');
    }
  } catch (err) {
    for (const s of [server, ...extra.map((e) => e.server)]) if (s.listening) s.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw err;
  }
  log.info({ host, port: bound, login: auth.requiresLogin ? 'required' : 'anonymous on loopback only, until an account exists' }, 'MQTT broker listening');
  let stopped: Promise<void> | undefined;
  return {
    port: bound,
    url: `mqtt://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${bound}`,
    get stats() {
      return { ...stats };
    },
    get connectedClients() {
      return aedes.connectedClients;
    },
    tlsPort,
    websocketPort,
    stop() {
      stopped ??= (async () => {
        // Stop accepting first, then let Aedes close its clients; server.close waits for their sockets.
        const servers = [server, ...extra.map((e) => e.server)];
        extra.forEach((e) => e.close());
        const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        await closed;
      })();
      return stopped;
    },
  };
}

function describe(who: Principal): string {
  return who.kind === 'anonymous' ? 'anonymous' : `${who.role} ${who.name}`;
}

import { Aedes, type AedesOptions, type Client } from 'aedes';
import { createServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { listen } from '../shared/listen.js';
import { withoutPacketNumberCache } from '../shared/mqtt-number-cache.js';
import type { Logger } from '../shared/log.js';
import { Authenticator } from './authenticator.js';
import { Claims, type ClaimBackend, type ClaimChange } from './claims.js';
import { Ownership } from './ownership.js';
import type { Source } from '../shared/sources/source.js';
import { ackAfterStore } from './ack-after-store.js';
import { tolerateStaleDeliveries } from './stale-deliveries.js';
import { exactDedupe } from './exact-dedupe.js';
import { connackFirst } from './connack-first.js';
import { createEmitter, guardRecursion } from './emitter.js';
import { FilteredConnection } from './filtered-connection.js';
import { createHooks, POLICY, remoteAddress } from './hooks.js';
import { listenTls, listenWebSocket, type TlsListener, type WebSocketListener } from './listeners.js';
import { DEFAULT_LIMITS, type BrokerLimits } from './limits.js';
import { newestPacketId, rememberPacketId } from './packet-ids.js';
import { INTERNAL_PREFIX, type Principal } from './policy.js';
import { newStats, type BrokerStats } from './stats.js';

export type { BrokerStats } from './stats.js';

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
  /**
   * The configured sources (ingest.sources): service accounts may read their filters besides home/#, and
   * a source account's message may not map to a device of another account.
   */
  sources?: readonly Source[];
  /**
   * Where claims are kept beyond this process without a cluster (PostgreSQL, claims-db.ts); else in
   * memory.
   */
  claims?: ClaimBackend;
  /** This broker's own persistence (journal/persistence.ts), stopped with it; ignored with a cluster. */
  persistence?: NonNullable<AedesOptions['persistence']> & {
    stop(options?: { timeoutMs?: number }): Promise<void>;
  };
  /** Shared with other broker processes (Redis); in memory when absent. */
  cluster?: Pick<AedesOptions, 'persistence' | 'mq' | 'id'> & {
    /** Resolves once the shared store has finished what closing clients sent it (see stop()). */
    settle?(): Promise<void>;
    /** Where claims (claims.ts) are shared by the brokers of the cluster. */
    claims?: ClaimBackend;
    /** 'up' when the shared store is back after an outage (claims announced meanwhile were missed). */
    events?: { on(event: 'up', listener: () => void): unknown };
  };
}

export interface RunningBroker {
  readonly port: number;
  /** What a client on this machine connects to. */
  readonly url: string;
  readonly stats: BrokerStats;
  readonly connectedClients: number;
  readonly tlsPort?: number;
  readonly websocketPort?: number;
  /** The Aedes instance, for metrics that read its persistence. */
  readonly aedes: Aedes;
  stop(): Promise<void>;
}

/** Where the brokers of a cluster tell each other about claims (claims.ts); forwarded to no client. */
const CLAIMS_TOPIC = `${INTERNAL_PREFIX}claims`;
/** Messages Aedes routes at once before it queues; Aedes's default. */
const CONCURRENCY = 100;
/** A WebSocket frame is buffered whole by `ws` before any filter sees it: this bounds that buffer. */
const MAX_WEBSOCKET_FRAME_BYTES = 16 * 1024 * 1024;

/**
 * The embedded MQTT 3.1.1 broker: Aedes over TCP, so Home Assistant, Node-RED and mosquitto_sub read
 * the same home/# topics as ingest. Policy is deny-by-default hooks (hooks.ts): who may connect
 * (authenticator), publish and subscribe where (policy.ts), within which limits (limits.ts). Every
 * connection passes an OversizeFilter, so a message over the limit is dropped as Mosquitto does.
 */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const { host, port, log, authenticator, limits: overrides, cluster, tls, websocket, sources = [] } = options;
  const { persistence: ownPersistence, claims: claimBackend } = options;
  withoutPacketNumberCache();
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  const stats = newStats();
  const principals = new WeakMap<Client, Principal>();
  const drops = new WeakMap<Client, Array<{ topic: string; bytes: number }>>();
  // Without accounts, the rule is the one an authenticator with none applies: anonymous on loopback only.
  const auth = authenticator ?? new Authenticator(async () => [], { failureDelayMs: 0 });
  // See emitter.ts: the recursion guard, and + matching empty levels only where the store does too.
  const mq = cluster?.mq
    ? guardRecursion(cluster.mq)
    : createEmitter({ concurrency: CONCURRENCY, matchEmptyLevels: false });

  // The newest packet id each client id was given, for its next connection (see hooks.ts preConnect).
  const lastPacketIds = new Map<string, number>();
  // With a cluster, what one broker claims or releases is told to the others over the shared emitter.
  const announce = (change: ClaimChange) =>
    mq.emit({ topic: CLAIMS_TOPIC, payload: Buffer.from(JSON.stringify({ ...change, from: brokerId })) } as never);
  const claims = new Claims(cluster?.claims ?? claimBackend, cluster?.claims ? announce : undefined);
  const brokerId = cluster?.id ?? 'local';
  if (cluster?.claims) {
    await new Promise<void>((resolve) => mq.on(CLAIMS_TOPIC, (packet: { payload: Buffer }, cb: () => void) => {
      try {
        const change = JSON.parse(packet.payload.toString()) as ClaimChange & { from: string };
        if (change.from !== brokerId) claims.heard(change);
      } catch {
        // Only brokers publish here (no client may publish under $SYS/).
      }
      cb();
    }, resolve));
  }
  await claims.start();
  cluster?.events?.on('up', () => {
    claims.reload().catch((err: unknown) =>
      log.warn(
        { err: (err as Error)?.message ?? err },
        'could not reload the claims after Redis came back; the next outage recovery tries again',
      ),
    );
  });
  const ownership = new Ownership(claims, limits, (name) => auth.has(name), sources);
  const clients = () => (aedes as unknown as { clients: Record<string, Client | undefined> }).clients;
  const live = (clientId: string) => clients()[clientId];
  const persistence = cluster?.persistence ? undefined : ownPersistence;
  const aedes: Aedes = await Aedes.createBroker({
    ...cluster,
    ...(persistence ? { persistence } : {}),
    mq,
    concurrency: CONCURRENCY,
    drainTimeout: limits.drainTimeoutMs,
    maxTopicLevels: limits.maxTopicLevels,
    maxInflightInbound: limits.maxInflight,
    ...createHooks({
      auth,
      limits,
      log,
      stats,
      principals,
      drops,
      ownership,
      live,
      readable: sources.flatMap((source) => source.filters),
      newestPacketId: (clientId) => newestPacketId(aedes, lastPacketIds, clientId),
    }),
  });
  ackAfterStore(aedes); // a QoS 1 PUBACK only once the message is stored
  const holdUntilConnack = connackFirst(aedes); // nothing to a client before its CONNACK
  const principalOf = (client: Client): Principal => principals.get(client) ?? { kind: 'anonymous' };
  aedes.on('client', (client) => {
    stats.connects++;
    log.info(
      { clientId: client.id, address: remoteAddress(client), as: describe(principalOf(client)) },
      'client connected',
    );
  });
  aedes.on('publish', (_packet, client) => {
    if (client) stats.messagesIn++;
  });
  aedes.on('clientDisconnect', (client) => {
    rememberPacketId(lastPacketIds, client);
    log.info({ clientId: client.id }, 'client disconnected');
  });
  aedes.on('clientError', (client, err) => {
    if (/drain timeout/.test(err.message)) stats.dropped.frozen_subscriber++;
    if (!(POLICY in err)) log.warn({ clientId: client.id, err: err.message }, 'client error');
  });
  aedes.on('connectionError', (_client, err) => log.warn({ err: err.message }, 'connection error before CONNECT'));

  // A revoked or rotated account is logged out at once, not at its next reconnect; a revoked one's
  // client ids, retained topics and source devices are released for others.
  authenticator?.on('changed', (names) => {
    for (const client of Object.values(clients())) {
      const who = client && principalOf(client);
      if (who?.kind === 'account' && names.includes(who.name)) client!.close();
    }
    for (const name of names.filter((n) => !auth.has(n))) {
      ownership.revoked(name).then(
        (released) =>
          log.info({ account: name, released: released.length }, 'account revoked: what it owned is released'),
        (err: unknown) =>
          log.error(
            { account: name, err: (err as Error)?.message ?? err },
            'could not release what a revoked account owned',
          ),
      );
    }
  });

  // A packet other than PUBLISH may be this large: a topic filter list at the limit, and headers.
  const packetLimits = { maxPayloadBytes: limits.maxPayloadBytes, maxPacketBytes: 4 * limits.maxTopicLength + 1024 };
  const countBytes = (inBytes: number, outBytes: number) => {
    stats.bytesIn += inBytes;
    stats.bytesOut += outBytes;
  };
  /** Hands a connection to Aedes through the oversize filter. */
  const handle = (socket: Duplex) => {
    let client: Client | undefined;
    const connection = new FilteredConnection(socket, packetLimits, (event) => {
      if (event.kind === 'dropped') {
        if (!client) return;
        const queue = drops.get(client) ?? [];
        drops.set(client, queue);
        queue.push({ topic: event.topic, bytes: event.bytes });
      } else {
        stats.disconnectedForLimits++;
        log.warn(
          { clientId: client?.id, address: connection.remoteAddress, reason: event.reason },
          'client disconnected: malformed or oversize packet',
        );
      }
    }, countBytes);
    client = aedes.handle(connection) as Client;
    const handled = client;
    // Its account's connection slot is free once it has gone.
    connection.once('close', () => ownership.left(handled, principalOf(handled)));
    exactDedupe(client);
    holdUntilConnack(client);
    tolerateStaleDeliveries(client, () => {
      stats.staleDeliveries++;
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
      const clientCertificates = tls.requireClientCert ? 'required' : tls.caFile ? 'optional' : 'no';
      log.info({ host: tls.host, port: tlsPort, clientCertificates }, 'MQTT over TLS listening');
    }
    if (websocket) {
      const listener = await listenWebSocket(handle, websocket, MAX_WEBSOCKET_FRAME_BYTES);
      extra.push(listener);
      websocketPort = listener.port;
      log.info({ host: websocket.host, port: websocketPort }, 'MQTT over WebSocket listening');
    }
  } catch (err) {
    for (const opened of [server, ...extra.map((e) => e.server)]) if (opened.listening) opened.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await persistence?.stop();
    throw err;
  }
  const login = auth.requiresLogin ? 'required' : 'anonymous on loopback only, until an account exists';
  log.info({ host, port: bound, login }, 'MQTT broker listening');
  let stopped: Promise<void> | undefined;
  return {
    port: bound,
    url: `mqtt://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${bound}`,
    get stats() {
      return { ...stats, dropped: { ...stats.dropped }, refused: { ...stats.refused } };
    },
    get connectedClients() {
      return aedes.connectedClients;
    },
    tlsPort,
    websocketPort,
    aedes,
    stop() {
      stopped ??= (async () => {
        // Stop accepting first, then let Aedes close its clients; server.close waits for their sockets.
        const servers = [server, ...extra.map((e) => e.server)];
        extra.forEach((e) => e.close());
        const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
        // Clients first, and with Redis what their closing still sends it: aedes.close() closes the
        // emitter's connections as soon as the clients are closed, so a client's last persistence calls
        // after that would be rejected, one of them unhandled inside Aedes (the process would exit with
        // code 1 on SIGTERM; test/broker-cluster.test.ts covers it).
        for (const client of Object.values(clients())) client!.close();
        await cluster?.settle?.();
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        await closed;
        await persistence?.stop({ timeoutMs: 5000 }); // after what the closing clients changed
      })();
      return stopped;
    },
  };
}

function describe(who: Principal): string {
  return who.kind === 'anonymous' ? 'anonymous' : `${who.role} ${who.name}`;
}

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import persistenceRedis from 'aedes-persistence-redis';
import { MQEmitterRedisPrefix } from 'mqemitter-redis';
import { ExpectedError } from '../shared/expected-error.js';
import { redisClaims, type ClaimBackend } from './claims.js';
import { redactUrl } from '../shared/redact.js';
import { waitAtMost } from '../shared/timeout.js';

// The ioredis that aedes-persistence-redis itself depends on (5.x), so the connection we hand it is the
// kind it was written for.
const require = createRequire(createRequire(import.meta.url).resolve('aedes-persistence-redis'));
const Redis = require('ioredis') as typeof import('ioredis').default;
type RedisClient = InstanceType<typeof Redis>;

/** Queued messages replayed to a reconnecting session; a week of ten nodes is about 60,000. */
const MAX_SESSION_DELIVERY = 1_000_000;
/** How long close() waits for Redis to answer a QUIT before it drops the connection. */
const QUIT_TIMEOUT_MS = 1000;

export interface RedisClusterOptions {
  /** redis://[:password@]host:port[/db] */
  url: string;
  /** Namespace of every key and channel, so several pimonitor installations (or tests) can share a Redis. */
  keyPrefix: string;
  /** How long the start-up check waits for Redis. */
  connectTimeoutMs?: number;
}

export interface RedisCluster {
  id: string;
  persistence: ReturnType<typeof persistenceRedis>;
  mq: InstanceType<typeof MQEmitterRedisPrefix>;
  /** Who owns which client id, retained topic and source device, for every broker of the cluster. */
  claims: ClaimBackend;
  /** All three connections (store, publish, subscribe) ready. */
  readonly connected: boolean;
  /** 'down' once when a connection is lost (with why), 'up' once when all are back. */
  readonly events: EventEmitter<{ down: [string]; up: [] }>;
  settle(): Promise<void>;
  /** Ends the connections the broker has not ended already; safe to call twice. */
  close(): Promise<void>;
}

const connectionOf = (url: string) => {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: Number(parsed.pathname.slice(1) || 0),
  };
};

/** Fails with a message naming the setting when Redis cannot be reached. */
async function checkReachable(url: string, timeoutMs: number): Promise<void> {
  const probe = new Redis({
    ...connectionOf(url),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new ExpectedError(
      `cannot reach Redis at ${redactUrl(url)} (BROKER_PERSISTENCE=redis): ${(err as Error).message}. ` +
        'Start Redis, or set REDIS_URL (broker.redisUrl) to where it runs.',
    );
  } finally {
    probe.disconnect();
  }
}

/**
 * Persistence and message emitter in Redis: retained messages, persistent sessions and queued QoS 1
 * messages survive a broker restart, and broker processes on one machine or many form one broker.
 *
 * The connections are ours, with error listeners: without one, ioredis prints "Unhandled error event"
 * for every failed reconnect, and mqemitter-redis re-emits connection errors on its `state` emitter,
 * where an 'error' with no listener ends the process. ioredis reconnects by itself and queues commands
 * meanwhile, so an outage is logged once and recovered from without a restart.
 */
export async function redisCluster(clusterOptions: RedisClusterOptions): Promise<RedisCluster> {
  const { url, keyPrefix, connectTimeoutMs = 3000 } = clusterOptions;
  await checkReachable(url, connectTimeoutMs);
  const events = new EventEmitter<{ down: [string]; up: [] }>();
  const options = {
    ...connectionOf(url),
    connectTimeout: connectTimeoutMs,
    retryStrategy: (times: number) => Math.min(200 * times, 5000),
  };
  const store = new Redis({ ...options, keyPrefix });
  const pubConn = new Redis(options);
  const subConn = new Redis(options);
  const all: RedisClient[] = [store, pubConn, subConn];
  let down = false;
  const connected = () => all.every((c) => c.status === 'ready');
  for (const conn of all) {
    conn.on('error', (err: Error) => {
      if (down) return;
      down = true;
      events.emit('down', err.message);
    });
    conn.on('ready', () => {
      if (down && connected()) {
        down = false;
        events.emit('up');
      }
    });
  }
  const mq = new MQEmitterRedisPrefix(keyPrefix, { pubConn, subConn });
  // Already reported through the connections' own listeners above.
  (mq as unknown as { state: EventEmitter }).state.on('error', () => {});
  const settle = async () => {
    await Promise.all(all.map((c) => quiet(c, 50, 2000)));
  };
  let closing: Promise<void> | undefined;
  return {
    id: `pimonitor-broker-${randomUUID()}`,
    // aedes-persistence-redis replays at most maxSessionDelivery (default 1,000) queued messages when a
    // persistent session reconnects, and the rest only at its next reconnect: ingest back from a
    // restart would see 1,000 readings and then nothing. The queue's keys are read in one LRANGE.
    persistence: persistenceRedis({ conn: store, maxSessionDelivery: MAX_SESSION_DELIVERY }),
    mq,
    claims: redisClaims(store),
    get connected() {
      return connected();
    },
    events,
    // A closing client's last persistence calls (a clean session's subscriptions, its will) reach
    // Redis a little after the client is closed; quitting before them makes ioredis reject them with
    // "Connection is closed.", and one such rejection is not handled inside Aedes. The broker's stop()
    // waits for this before aedes.close(), and close() again before QUIT (at most 2 s each).
    settle,
    async close() {
      closing ??= (async () => {
        await settle();
        await Promise.all(all.map(endConnection));
      })();
      return closing;
    },
  };
}

/**
 * QUIT on a connection that is up (at most QUIT_TIMEOUT_MS, then dropped), dropped at once on one that is not
 * (a QUIT would wait in the offline queue for a Redis that is down), left alone once ended. The broker's stop ends
 * the publish and subscribe connections already (mqemitter-redis's close); quitting one of those again made
 * ioredis reject and fall back to disconnect(), which arms a 2 s timer on a socket that never emits 'close' again,
 * so a stopped broker's process stayed 2 s longer. That timer (ioredis's disconnectTimeout, redis/ioredis#1318)
 * is still armed for a connection that was reconnecting to a Redis that is down: its process waits 2 s more.
 */
async function endConnection(conn: RedisClient): Promise<void> {
  if (conn.status === 'end') return;
  let quit = false;
  if (conn.status === 'ready') {
    await waitAtMost(conn.quit().then(() => {
      quit = true;
    }), QUIT_TIMEOUT_MS);
  }
  if (!quit) conn.disconnect();
}

/** Resolves once `conn` has had no command waiting for `quietMs`, or after `maxMs` in all. */
async function quiet(conn: RedisClient, quietMs: number, maxMs: number): Promise<void> {
  const offlineQueue = () => (conn as unknown as { offlineQueue?: { length: number } }).offlineQueue;
  const pending = () => conn.commandQueue.length + (offlineQueue()?.length ?? 0);
  const deadline = Date.now() + maxMs;
  let idleSince = pending() === 0 ? Date.now() : undefined;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    if (pending() > 0) idleSince = undefined;
    else if ((idleSince ??= Date.now()) + quietMs <= Date.now()) return;
  }
}

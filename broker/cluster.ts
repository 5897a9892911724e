import { randomUUID } from 'node:crypto';
import persistenceRedis from 'aedes-persistence-redis';
import { MQEmitterRedisPrefix } from 'mqemitter-redis';

export interface RedisClusterOptions {
  /** redis://[:password@]host:port[/db] */
  url: string;
  /** Namespace of every key and channel, so several pimonitor installations (or tests) can share a Redis. */
  keyPrefix: string;
}

/**
 * Persistence and message emitter in Redis: retained messages, persistent sessions and queued QoS 1
 * messages survive a broker restart, and broker processes on one machine or many form one broker.
 */
export function redisCluster({ url, keyPrefix }: RedisClusterOptions) {
  const u = new URL(url);
  const connection = {
    host: u.hostname,
    port: Number(u.port || 6379),
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: Number(u.pathname.slice(1) || 0),
  };
  return {
    id: `pimonitor-broker-${randomUUID()}`,
    persistence: persistenceRedis({ ...connection, keyPrefix }),
    mq: new MQEmitterRedisPrefix(keyPrefix, connection),
  };
}

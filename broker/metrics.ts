import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { withTimeout } from '../shared/timeout.js';
import { REFUSAL_COUNTERS } from './ownership.js';
import type { RunningBroker } from './broker.js';
import { DROP_REASONS, type BrokerStats } from './stats.js';

/** Retained messages are counted at scrape time, up to this many (a scrape must stay cheap). */
const RETAINED_COUNT_CAP = 100_000;

/**
 * Prometheus metrics of the broker, read from its counters at scrape time (nothing is added per message
 * on the hot path but an integer increment). Its own registry, so tests stay apart.
 */
export function createBrokerMetrics(
  broker: Pick<RunningBroker, 'stats' | 'connectedClients' | 'aedes'>,
  redisConnected?: () => boolean,
  journalWritable?: () => boolean,
): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pimonitor_broker_' });
  const fromStats = (name: string, help: string, read: (stats: BrokerStats) => number) => {
    let seen = 0;
    new Counter({ name, help, registers: [registry], collect() {
      const now = read(broker.stats);
      this.inc(Math.max(0, now - seen));
      seen = now;
    } });
  };
  fromStats('pimonitor_broker_connects_total', 'Clients that connected (logged in).', (s) => s.connects);
  fromStats(
    'pimonitor_broker_failed_logins_total',
    'Logins refused (bad credentials, anonymous off loopback, a check that failed).',
    (s) => s.failedLogins,
  );
  fromStats('pimonitor_broker_messages_in_total', 'PUBLISH packets accepted from clients.', (s) => s.messagesIn);
  fromStats('pimonitor_broker_messages_out_total', 'Messages forwarded to subscribers.', (s) => s.messagesOut);
  fromStats('pimonitor_broker_bytes_in_total', 'Bytes read from clients.', (s) => s.bytesIn);
  fromStats('pimonitor_broker_bytes_out_total', 'Bytes written to clients.', (s) => s.bytesOut);
  fromStats(
    'pimonitor_broker_denied_subscriptions_total',
    'Subscriptions refused by the access policy.',
    (s) => s.deniedSubscriptions,
  );
  fromStats(
    'pimonitor_broker_stale_deliveries_total',
    'Live QoS 1/2 deliveries a reconnecting session had already received from its replayed queue ' +
      '(skipped, not an error).',
    (s) => s.staleDeliveries,
  );
  fromStats(
    'pimonitor_broker_hook_failures_total',
    'Policy checks whose dependency failed (refused, logged).',
    (s) => s.hookFailures,
  );
  fromStats(
    'pimonitor_broker_dropped_wills_total',
    'Stored wills not published because their client\'s account may not publish them.',
    (s) => s.droppedWills,
  );
  /** A counter per label value, read from one of the stats' records at scrape time. */
  const byLabel = <K extends string>(
    name: string,
    help: string,
    label: string,
    keys: readonly K[],
    read: (stats: BrokerStats) => Record<K, number>,
  ) => {
    const seen: Partial<Record<K, number>> = {};
    new Counter({ name, help, labelNames: [label], registers: [registry], collect() {
      for (const key of keys) {
        const now = read(broker.stats)[key];
        this.inc({ [label]: key }, Math.max(0, now - (seen[key] ?? 0)));
        seen[key] = now;
      }
    } });
  };
  byLabel(
    'pimonitor_broker_refused_total',
    'Connections and publishes refused for ownership or an account quota: client_id (another account\'s), ' +
      'will (a topic its account may not publish), connections, not_owner (another account\'s retained topic), ' +
      'retained_quota, source_device (a source message mapping to another account\'s device), device_quota.',
    'what',
    REFUSAL_COUNTERS,
    (s) => s.refused,
  );
  byLabel(
    'pimonitor_broker_dropped_total',
    'Messages dropped, by reason: oversize (acknowledged, client kept), denied, rate_limit, not_owner and quota ' +
      '(client disconnected), frozen_subscriber (a subscriber disconnected for not reading).',
    'reason',
    DROP_REASONS,
    (s) => s.dropped,
  );
  new Gauge({ name: 'pimonitor_broker_connections', help: 'Clients connected now.', registers: [registry], collect() {
    this.set(broker.connectedClients);
  } });
  new Gauge({
    name: 'pimonitor_broker_retained_messages',
    help: `Retained messages (counted up to ${RETAINED_COUNT_CAP}).`,
    registers: [registry],
    async collect() {
      this.set(await withTimeout(countRetained(broker.aedes), 500, 'counting retained messages').catch(() => -1));
    },
  });
  if (redisConnected) {
    new Gauge({
      name: 'pimonitor_broker_redis_connected',
      help: '1 while every Redis connection is ready.',
      registers: [registry],
      collect() {
        this.set(redisConnected() ? 1 : 0);
      },
    });
  }
  if (journalWritable) {
    new Gauge({
      name: 'pimonitor_broker_journal_writable',
      help:
        '1 while the broker\'s journal (DATA_DIR/broker) can be written; 0 after a failed write ' +
        '(a full disk: publishes are not acknowledged) until writes go 5 s without failing.',
      registers: [registry],
      collect() {
        this.set(journalWritable() ? 1 : 0);
      },
    });
  }
  return registry;
}

type RetainedStore = { createRetainedStreamCombi(patterns: string[]): AsyncIterable<unknown> };

async function countRetained(aedes: RunningBroker['aedes']): Promise<number> {
  const persistence = (aedes as unknown as { persistence: unknown }).persistence as RetainedStore;
  let count = 0;
  for await (const _ of persistence.createRetainedStreamCombi(['#'])) if (++count >= RETAINED_COUNT_CAP) break;
  return count;
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { REJECTION_CODES } from '../shared/contract.js';
import { registerTotalCounter } from '../shared/total-counter.js';
import type { IngestWorker } from './worker.js';

/** Prometheus metrics of one ingest worker, fed by its events; its own registry, so tests stay apart. */
export function createIngestMetrics(worker: IngestWorker): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pimonitor_ingest_' });
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });

  // Totals the worker already keeps are read at scrape time: nothing is added per message on the hot path.
  const fromStats = (name: string, help: string, stat: Exclude<keyof IngestWorker['stats'], 'bySource'>) =>
    registerTotalCounter(registry, name, help, () => worker.stats[stat]);
  fromStats('pimonitor_ingest_messages_received_total', 'MQTT messages received and spooled.', 'messages');
  fromStats('pimonitor_ingest_rows_inserted_total',
    'Reading rows written to the database (a redelivered duplicate is then ignored by the key).',
    'rowsWritten',
  );
  fromStats('pimonitor_ingest_replayed_messages_total', 'Messages written from the spool after a restart.', 'replayed');
  fromStats('pimonitor_ingest_dropped_total',
    'Messages the database refused even as a rejection: skipped, with only their spool position written.',
    'dropped',
  );
  fromStats('pimonitor_ingest_broker_switches_total',
    'Times ingest connected to another broker of its list (MQTT_URL with several) than the one before: failovers.',
    'brokerSwitches',
  );
  fromStats('pimonitor_ingest_subscribe_refused_total',
    'Times the broker refused the subscription after a (re)connect.',
    'subscribeRefused',
  );
  fromStats('pimonitor_ingest_series_created_total',
    'New series (device, sensor, metric) admitted by the quota of new series per device per hour; 0 while the quota '
    + 'is off.',
    'seriesCreated',
  );
  fromStats('pimonitor_ingest_source_renamed_names_total',
    'Device names of sources (a Zigbee2MQTT friendly name "Living Room") that are not legal names, each stored '
    + 'under a name of its own with a hash (Living_Room_2fedc8); counted once per name, each also logged once as a '
    + 'warning.',
    'renamedNames',
  );
  fromStats('pimonitor_ingest_series_refused_total',
    'Readings (metric values) refused because they would have created a series past their device\'s quota for the '
    + 'hour (INGEST_MAX_NEW_SERIES_PER_DEVICE_PER_HOUR); their messages are in rejected_messages with code quota.',
    'seriesRefused',
  );
  // Damage the spool skipped or cut (issue 25), read at scrape time.
  const fromDamage = (name: string, help: string, key: 'records' | 'bytes') =>
    registerTotalCounter(registry, name, help, () => worker.spoolDamage[key]);
  fromDamage('pimonitor_ingest_spool_damaged_records_total',
    'Damaged stretches of the spool (each one message or more) skipped to the next valid record, or cut off its end '
    + 'at start.',
    'records',
  );
  fromDamage('pimonitor_ingest_spool_skipped_bytes_total',
    'Bytes of those damaged stretches: messages lost to damage on disk.',
    'bytes',
  );
  // Per source and outcome, read from the worker's totals at scrape time like the counters above.
  const seenBySource = new Map<string, number>();
  new Counter({
    name: 'pimonitor_ingest_source_messages_total',
    help: 'Messages by source (pimonitor for home/…, else the configured source) and outcome: stored (readings or '
      + 'status), rejected (kept in rejected_messages), ignored (not readings, by the source\'s rule).',
    labelNames: ['source', 'outcome'],
    registers: [registry],
    collect() {
      for (const [source, counts] of Object.entries(worker.stats.bySource)) {
        for (const outcome of ['stored', 'rejected', 'ignored'] as const) {
          const key = `${source}\u0000${outcome}`;
          this.inc({ source, outcome }, counts[outcome] - (seenBySource.get(key) ?? 0));
          seenBySource.set(key, counts[outcome]);
        }
      }
    },
  });
  const rejected = counter('pimonitor_ingest_rejected_total',
    'Messages stored in rejected_messages, by kind of problem.',
    ['code'],
  );
  const writeFailures = counter('pimonitor_ingest_write_failures_total', 'Failed batch writes that will be retried.');
  const isolated = counter('pimonitor_ingest_isolated_total',
    'Messages that passed validation but that the database refused.',
  );
  const batchRows = new Histogram({
    name: 'pimonitor_ingest_batch_rows',
    help: 'Rows per committed batch.',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000],
    registers: [registry],
  });
  const commitSeconds = new Histogram({
    name: 'pimonitor_ingest_commit_seconds',
    help: 'Time to write and commit one batch, retries included.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers: [registry],
  });
  new Gauge({
    name: 'pimonitor_ingest_spool_backlog_bytes',
    help: 'Spooled bytes not yet in the database.',
    registers: [registry],
    collect() {
      this.set(worker.backlogBytes);
    },
  });
  new Gauge({
    name: 'pimonitor_ingest_broker_connected',
    help: '1 while connected to the MQTT broker.',
    registers: [registry],
    collect() {
      this.set(worker.brokerConnected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'pimonitor_ingest_subscribed',
    help: '1 while connected and subscribed, so readings can arrive.',
    registers: [registry],
    collect() {
      this.set(worker.subscribed ? 1 : 0);
    },
  });
  for (const code of REJECTION_CODES) rejected.inc({ code }, 0);

  worker.on('rejected', ({ code }) => rejected.inc({ code }));
  worker.on('writeFailed', () => writeFailures.inc());
  worker.on('isolated', () => isolated.inc());
  worker.on('flushed', ({ rows: n, ms }) => {
    batchRows.observe(n);
    commitSeconds.observe(ms / 1000);
  });
  return registry;
}

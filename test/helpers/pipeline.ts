import mqtt, { type MqttClient } from 'mqtt';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { FilePersistence } from '../../broker/journal/persistence.js';
import { DEFAULT_LIMITS } from '../../shared/contract.js';
import { createLogger } from '../../shared/log.js';
import { createBatchStore } from '../../ingest/store.js';
import { IngestWorker, type IngestOptions } from '../../ingest/worker.js';
import { Spool } from '../../shared/spool/spool.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMigratedTestDatabase, type TestDatabase } from './database.js';

export interface Pipeline {
  database: TestDatabase;
  /** Replaceable, for tests that restart the broker. */
  broker: RunningBroker;
  worker: IngestWorker;
  publisher: MqttClient;
  /**
   * Stops the broker; the function it returns starts it again on its port and its journal, as
   * `pimonitor broker` restarts: what it acknowledged and had not yet delivered to ingest is delivered
   * after (an in-memory broker would lose it, and the product never runs one).
   */
  stopBroker(): Promise<() => Promise<void>>;
  stop(): Promise<void>;
}

const brokerLog = createLogger('broker', 'silent');
const journalIn = (dir: string) =>
  new FilePersistence({ dir, log: brokerLog, fsyncIntervalMs: 1000, compactBytes: 64 << 20 });

/**
 * The real thing in-process: a fresh database, Aedes with its journal on an ephemeral port, the ingest
 * worker, a client.
 */
export async function startPipeline(overrides: Partial<IngestOptions> = {}): Promise<Pipeline> {
  const database = await createMigratedTestDatabase();
  const journalDir = mkdtempSync(join(tmpdir(), 'pimonitor-journal-'));
  const broker = await startBroker({ host: '127.0.0.1', port: 0, log: brokerLog, persistence: journalIn(journalDir) });
  const worker = new IngestWorker({
    url: broker.url,
    clientId: 'ingest-under-test',
    batchMaxRows: 500,
    flushIntervalMs: 20,
    spool: Spool.open({ dir: join(mkdtempSync(join(tmpdir(), 'pimonitor-spool-')), 'spool'), segmentBytes: 1 << 20 })
      .spool,
    spoolMaxBytes: 64 << 20,
    syncIntervalMs: 1000,
    limits: DEFAULT_LIMITS,
    store: createBatchStore(database.db),
    ...overrides,
  });
  await worker.start();
  const publisher = await mqtt.connectAsync(broker.url, { clientId: 'test-publisher' });
  const pipeline: Pipeline = {
    database,
    broker,
    worker,
    publisher,
    async stopBroker() {
      const { port } = pipeline.broker;
      await pipeline.broker.stop();
      return async () => {
        pipeline.broker = await startBroker({
          host: '127.0.0.1', port, log: brokerLog, persistence: journalIn(journalDir),
        });
      };
    },
    async stop() {
      await publisher.endAsync(true);
      await worker.stop();
      await pipeline.broker.stop();
      await database.stop();
    },
  };
  return pipeline;
}

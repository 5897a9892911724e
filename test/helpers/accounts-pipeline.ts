import mqtt, { type MqttClient } from 'mqtt';
import { addAccount, listAccounts } from '../../broker/accounts.js';
import { Authenticator } from '../../broker/authenticator.js';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import type { DeviceKind } from '../../broker/policy.js';
import { createLogger } from '../../shared/log.js';
import type { Source } from '../../shared/sources/source.js';
import { createMigratedTestDatabase, type TestDatabase } from './database.js';

export interface AccountsPipeline {
  /** Set in beforeAll: the migrated test database (PostgreSQL when DATABASE_URL is set, else PGlite). */
  t: TestDatabase;
  /** Set in beforeAll: the real broker, logging in the database's accounts. */
  broker: RunningBroker;
  /** Each account's password by name; `ingest` is the ingest account's. */
  passwords: Record<string, string>;
  /** Connects as the account `name`; the client is ended in afterAll. */
  login(name: string): Promise<MqttClient>;
}

export interface AccountsPipelineOptions {
  /** The device accounts, each with its kind (pimonitor when left out). */
  devices: Array<[name: string, kind?: DeviceKind]>;
  /** What the broker reads besides pimonitor's own tree (INGEST_SOURCES). */
  sources?: Source[];
  /** Starts the test file's ingest, once the broker is up (beforeAll). */
  startIngest(pipeline: AccountsPipeline): Promise<void>;
  /** Stops it, after the clients end and before the broker stops (afterAll). */
  stopIngest(): Promise<void> | undefined;
}

/**
 * Registers beforeAll and afterAll for the end-to-end files that drive the real broker and the real ingest
 * through database accounts: a migrated test database with the device accounts and an ingest account, an
 * Authenticator over them (reloaded every 200 ms), the broker and then the file's ingest; stopped in the
 * reverse order.
 */
export function useAccountsPipeline(options: AccountsPipelineOptions): AccountsPipeline {
  let auth: Authenticator | undefined;
  const clients: MqttClient[] = [];
  const pipeline: AccountsPipeline = {
    t: undefined as unknown as TestDatabase,
    broker: undefined as unknown as RunningBroker,
    passwords: {},
    async login(name) {
      const c = await mqtt.connectAsync(pipeline.broker.url, {
        username: name, password: pipeline.passwords[name], reconnectPeriod: 0,
      });
      clients.push(c);
      return c;
    },
  };
  beforeAll(async () => {
    const { passwords } = pipeline;
    const t = (pipeline.t = await createMigratedTestDatabase());
    for (const [name, kind] of options.devices) passwords[name] = await addAccount(t.db, name, 'device', null, kind);
    passwords.ingest = await addAccount(t.db, 'ingest', 'ingest');
    auth = new Authenticator(() => listAccounts(t.db), { refreshMs: 200, failureDelayMs: 50 });
    await auth.start();
    pipeline.broker = await startBroker({
      host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent'), authenticator: auth, sources: options.sources,
    });
    await options.startIngest(pipeline);
  }, 30_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await options.stopIngest();
    await pipeline.broker?.stop();
    auth?.stop();
    await pipeline.t?.stop();
  }, 30_000);
  return pipeline;
}

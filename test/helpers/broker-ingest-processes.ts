import type { MqttClient } from 'mqtt';
import { closeAll } from '../support/load.js';
import type { CliProcess } from './cli.js';
import type { TestDatabase } from './database.js';

/** What a broker-and-ingest process test holds while it runs; each test sets what it starts. */
export interface ProcessRun {
  t?: TestDatabase;
  broker?: CliProcess;
  ingest?: CliProcess;
  /** The load's clients (publishLoad's onConnected), closed first. */
  publishers: MqttClient[];
}

/**
 * Registers an afterEach for the tests that run the broker and ingest as processes and kill them: the
 * publishers closed, then `closeFirst` (what the test opened on the database), then ingest and the broker
 * killed with -9 and waited for, then the test database stopped. `run` is emptied for the next test.
 */
export function useBrokerAndIngestProcesses(closeFirst?: () => Promise<void>): ProcessRun {
  const run: ProcessRun = { publishers: [] };
  afterEach(async () => {
    await closeAll(run.publishers.splice(0)).catch(() => {});
    await closeFirst?.();
    const { ingest, broker } = run;
    ingest?.child.kill('SIGKILL');
    broker?.child.kill('SIGKILL');
    await Promise.all([ingest?.exited, broker?.exited]);
    [run.ingest, run.broker] = [undefined, undefined];
    await run.t?.stop();
    run.t = undefined;
  }, 60_000);
  return run;
}

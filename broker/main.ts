import type { Config } from '../config/index.js';
import { createLogger } from '../shared/log.js';
import { stopOnSignal } from '../shared/shutdown.js';
import { startBroker } from './broker.js';

/** The broker on its own, for a setup where ingest and the database run elsewhere. */
export async function runBroker(config: Config): Promise<void> {
  const log = createLogger('broker', config.log.level);
  const broker = await startBroker({ host: config.broker.host, port: config.broker.port, log });
  stopOnSignal(() => broker.stop(), log);
}

import type { Logger } from './log.js';

/**
 * Installs the process's one SIGINT/SIGTERM handler: stop gracefully (flush, close) and exit 0, or 1
 * if stopping failed or took longer than `timeoutMs`. A second signal exits at once, for the impatient.
 */
export function stopOnSignal(stop: () => Promise<void>, log: Logger, timeoutMs = 30_000): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without finishing the shutdown');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'stopping');
    setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, timeoutMs).unref();
    stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

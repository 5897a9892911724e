import type { Logger } from './log.js';

/** What a process does when it must stop: the graceful stop stopOnSignal installed, once there is one. */
let stopGracefully: ((reason: NodeJS.Signals | 'parent gone') => void) | undefined;

/**
 * Installs the process's one SIGINT/SIGTERM handler: stop gracefully (flush, close) and exit 0, or 1
 * if stopping failed or took longer than `timeoutMs`. A second signal exits at once, for the impatient.
 * When the parent goes (watchParent), the same graceful stop runs.
 */
export function stopOnSignal(stop: () => Promise<void>, log: Logger, timeoutMs = 30_000): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals | 'parent gone') => {
    if (stopping) {
      if (signal === 'parent gone') return; // already on its way out
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
  stopGracefully = onSignal;
}

/**
 * A child of `pimonitor up` (cli/supervise.ts) has an IPC channel to it, which closes when `up` is gone,
 * however it went (kill -9, the OOM killer): the child then stops as on SIGTERM, or exits at once if it
 * is still starting (nothing to flush yet). Otherwise it would live on as an orphan, holding its port.
 * Does nothing in a process without an IPC channel.
 */
export function watchParent(): void {
  if (!process.send) return;
  const gone = () => {
    if (stopGracefully) return stopGracefully('parent gone');
    process.stderr.write('pimonitor: the parent process (pimonitor up) is gone; exiting\n');
    process.exit(1);
  };
  if (!process.connected) return gone();
  process.once('disconnect', gone);
  // Listening refs the channel; it must not keep a process alive that has nothing else to do.
  process.channel?.unref();
}

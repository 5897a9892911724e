import { spawn, type ChildProcess } from 'node:child_process';
import { backoffMs } from '../shared/backoff.js';
import type { Logger } from '../shared/log.js';

export interface Supervised {
  stop(timeoutMs?: number): Promise<void>;
}

/** A crash loop is not retried faster than this, nor slower than the backoff's ceiling. */
const HEALTHY_AFTER_MS = 30_000;

/**
 * Runs `pimonitor <args>` as a child process and restarts it with backoff if it dies. The child gets
 * its own process group, so Ctrl-C reaches only us and we stop it in order (it must flush before
 * the broker and database it writes to go away); an IPC channel lets it notice if we die.
 */
export function superviseChild(args: string[], env: NodeJS.ProcessEnv, log: Logger): Supervised {
  let child: ChildProcess | undefined;
  let stopping = false;
  let crashes = 0;
  let restartTimer: NodeJS.Timeout | undefined;

  const launch = () => {
    const startedAt = Date.now();
    child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      detached: true,
    });
    log.info({ pid: child.pid, command: args[0] }, 'started child process');
    child.once('exit', (code, signal) => {
      child = undefined;
      if (stopping) return;
      crashes = Date.now() - startedAt > HEALTHY_AFTER_MS ? 1 : crashes + 1;
      const retryInMs = backoffMs(crashes);
      log.error({ command: args[0], code, signal, retryInMs }, 'child process exited; restarting');
      restartTimer = setTimeout(launch, retryInMs);
    });
  };
  launch();

  return {
    async stop(timeoutMs = 20_000) {
      stopping = true;
      clearTimeout(restartTimer);
      const running = child;
      if (!running) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill('SIGTERM');
      const timer = setTimeout(() => {
        log.error({ command: args[0], timeoutMs }, 'child did not stop in time; killing it');
        running.kill('SIGKILL');
      }, timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

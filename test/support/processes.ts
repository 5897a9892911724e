import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface LoggedProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves when the output contains `text`; rejects on timeout or exit first, with the output. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Where spawnLogged keeps the children still running, on the global object: test/support/test-environment.cjs
 * ends them when their test fails and when the file ends. Jest abandons a test that times out where it stands,
 * past its `finally`, and a broker or `up` left so would keep its ports and its load for the rest of the run.
 * A hook registered here instead would fail every test that imports this module inside a test ("Hooks cannot be
 * defined inside tests").
 */
export const RUNNING_CHILDREN = Symbol.for('pimonitor.test.runningChildren');

/** Ends `child` if it is still running when its test fails or its file ends; spawnLogged does this for its own. */
export function killWhenFileEnds<T extends ChildProcess>(child: T): T {
  const global = globalThis as { [RUNNING_CHILDREN]?: Set<ChildProcess> };
  const running = (global[RUNNING_CHILDREN] ??= new Set());
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Spawns a process and keeps its stdout and stderr, so callers can wait for a line and show it on failure. */
export function spawnLogged(command: string, args: string[], env: NodeJS.ProcessEnv): LoggedProcess {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  killWhenFileEnds(child);
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    listeners.forEach((l) => l());
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })));
  const name = [command, ...args].join(' ');
  return {
    child,
    output: () => output,
    exited,
    waitFor(text, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!output.includes(text)) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for "${text}" from ${name}; output:\n${output}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
        void exited.then(() => {
          if (output.includes(text)) return;
          cleanup();
          reject(new Error(`${name} exited before "${text}"; output:\n${output}`));
        });
      });
    },
  };
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in microseconds, from /proc. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
}

/** Resident memory of a process in MiB, from /proc. */
export function rssMiB(pid: number): number {
  return statusMiB(pid, 'VmRSS');
}

/**
 * Resident memory the process allocated itself (heap, stacks), without the file-backed pages of the
 * node executable and libraries, which every Node process maps and the page cache shares.
 */
export function anonymousRssMiB(pid: number): number {
  return statusMiB(pid, 'RssAnon');
}

export function statusMiB(pid: number, field: string): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** The pids of every process with this command name (e.g. all PostgreSQL backends), from /proc. */
export function pidsNamed(name: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** CPU microseconds of a set of processes; ones that have exited since count as nothing. */
export function cpuMicrosOf(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    try {
      return sum + cpuMicros(pid);
    } catch {
      return sum;
    }
  }, 0);
}

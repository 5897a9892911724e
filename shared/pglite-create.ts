import { fork } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ExpectedError } from './expected-error.js';
import { PACKAGE_ROOT } from './paths.js';

/** Whether `dataDir` holds a database already (PostgreSQL writes PG_VERSION when it creates one). */
export const hasDatabase = (dataDir: string): boolean => existsSync(join(dataDir, 'PG_VERSION'));

const CREATE_TIMEOUT_MS = 10 * 60_000;
/** How the child's line saying what failed starts (shared/pglite-init.ts). */
export const SAYS = 'pimonitor-init: ';

/**
 * Creates a new database in `dataDir` in a process of its own (shared/pglite-init.ts), which gives
 * back initdb's memory as it exits: PGlite 0.5 builds a new directory with a second WebAssembly module
 * and a tar of its result in memory, about 500 MiB that it does not give back to the process that
 * goes on to serve the database. The directory is built beside `dataDir` and renamed into place
 * whole, so a start that is stopped halfway leaves no half-made database; the child exits once this
 * process is gone (after the WebAssembly call it is in).
 */
export async function createInChild(dataDir: string, startParams: string[], wasmTierUp: boolean)
  : Promise<void> {
  // A start stopped while its child was creating (the child finishes the WebAssembly call it is in, then
  // exits) leaves its own `.creating-<pid>`: removed here, and this start builds in one of its own.
  const parent = dirname(dataDir);
  const prefix = `${basename(dataDir)}.creating-`;
  for (const left of readdirSync(parent).filter((entry) => entry.startsWith(prefix))) {
    rmSync(join(parent, left), { recursive: true, force: true });
  }
  const building = `${dataDir}.creating-${process.pid}`;
  // The built script, also when this module runs from its TypeScript source (the tests).
  const script = join(PACKAGE_ROOT, 'dist', 'shared', 'pglite-init.js');
  const child = fork(script, [building, JSON.stringify(startParams), String(wasmTierUp)], {
    execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), CREATE_TIMEOUT_MS);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (c, s) => resolve({ code: c, signal: s })));
  clearTimeout(timer);
  if (code !== 0) {
    rmSync(building, { recursive: true, force: true });
    const said = stderr.split('\n').find((line) => line.startsWith(SAYS))?.slice(SAYS.length);
    const why = said ?? (signal ? `the process was stopped (${signal})` : `exit code ${code}`);
    throw new ExpectedError(`creating the embedded database in ${dataDir} failed: ${why}`);
  }
  // What was there without PG_VERSION (an earlier version's start stopped halfway) is kept, aside.
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    renameSync(dataDir, `${dataDir}.incomplete-${Date.now()}`);
  } else {
    rmSync(dataDir, { recursive: true, force: true });
  }
  renameSync(building, dataDir);
}

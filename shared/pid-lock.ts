import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Locks this process holds, by absolute path: a second open in the same process is refused too. */
const heldHere = new Set<string>();

/**
 * A lock file holding our pid, so two openers never share the embedded database directory or a spool
 * (PGlite has no lock of its own, and two writers corrupt either). A lock left by a dead process is
 * taken over. One that holds our own pid but is not held by this process was left by an earlier
 * process that had the same pid (pid 1 in a container, after a restart): it is stale too.
 */
export function acquirePidLock(path: string, what: string): () => void {
  const key = resolve(path);
  if (heldHere.has(key)) throw new Error(`${what} is already open in this process (lock file ${path}); close it first`);
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const holder = Number(readFileSync(path, 'utf8'));
    if (holder && holder !== process.pid && isAlive(holder)) {
      throw new Error(`${what} is in use by process ${holder} (lock file ${path}); stop that process first`);
    }
    writeFileSync(path, String(process.pid));
  }
  heldHere.add(key);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    heldHere.delete(key);
    rmSync(path, { force: true });
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function ensureDir(path: string): void {
  mkdirSync(path, { recursive: true });
}

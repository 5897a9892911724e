import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * A lock file holding our pid, so two processes never open the same embedded database directory
 * (PGlite has no lock of its own, and two writers corrupt it). A lock left by a dead process is taken over.
 */
export function acquirePidLock(path: string, what: string): () => void {
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
  return () => rmSync(path, { force: true });
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

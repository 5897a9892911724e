import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ensureWritableDir } from './writable-dir.js';

/** Locks this process holds, by absolute path: a second open in the same process is refused too. */
const heldHere = new Set<string>();

/**
 * Who holds a lock: a pid is not enough, since after a power cut and reboot the pid in a lock file
 * belongs to some other process (issue 25, item 3). The boot and the process's start time (in clock
 * ticks since boot, /proc/<pid>/stat field 22) name one process for good. Where /proc is missing
 * (macOS), both are null and the pid alone decides.
 */
export interface LockHolder {
  pid: number;
  bootId: string | null;
  startTicks: string | null;
}

const readOr = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/** The start time of a process, or null if it does not exist or /proc cannot say. */
export function startTicksOf(pid: number): string | null {
  const stat = readOr(`/proc/${pid}/stat`);
  // The command name (field 2) is in parentheses and may hold spaces or ')': fields follow the last ')'.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields?.[19] ?? null;
}

export const bootId = (): string | null => readOr('/proc/sys/kernel/random/boot_id')?.trim() ?? null;

export const thisProcess = (): LockHolder => ({
  pid: process.pid,
  bootId: bootId(),
  startTicks: startTicksOf(process.pid),
});

/** A lock file's holder: ours (JSON), or a bare pid as earlier versions wrote it. Null if damaged. */
export function parseHolder(text: string): LockHolder | null {
  // Pid 0 is no process (kill(0, 0) would ask the whole process group): a damaged lock.
  if (/^\s*\d+\s*$/.test(text)) {
    const pid = Number(text);
    return pid > 0 && Number.isSafeInteger(pid) ? { pid, bootId: null, startTicks: null } : null;
  }
  try {
    const holder = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isSafeInteger(holder.pid) && holder.pid! > 0) {
      return {
        pid: holder.pid!,
        bootId: typeof holder.bootId === 'string' ? holder.bootId : null,
        startTicks: typeof holder.startTicks === 'string' ? holder.startTicks : null,
      };
    }
  } catch {
    // a torn write: nobody can be holding it
  }
  return null;
}

/**
 * Why a lock's holder is not running any more, or null if it may be. Pure, given what the system says
 * now: `now.startTicksOf(pid)` is null when no such process exists.
 */
export interface SystemNow {
  pid: number;
  bootId: string | null;
  startTicksOf(pid: number): string | null;
  alive(pid: number): boolean;
  isNode(pid: number): boolean;
}

export function staleReason(holder: LockHolder | null, now: SystemNow): string | null {
  if (!holder) return 'the lock file is damaged';
  if (holder.pid === now.pid) {
    return `it names this process's pid ${holder.pid}, left by an earlier process with the same pid`;
  }
  if (holder.bootId && now.bootId && holder.bootId !== now.bootId) {
    return `process ${holder.pid} held it before the machine restarted`;
  }
  if (!now.alive(holder.pid)) return `process ${holder.pid} is not running`;
  const ticks = now.startTicksOf(holder.pid);
  if (holder.startTicks && ticks && holder.startTicks !== ticks) {
    return `pid ${holder.pid} now belongs to another process`;
  }
  // A bare pid (an older lock) names no start time: a process that is not Node is not us.
  if (!holder.startTicks && !now.isNode(holder.pid)) {
    return `pid ${holder.pid} now belongs to a process that is not pimonitor`;
  }
  return null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a process runs Node (pimonitor is a Node program); true where /proc cannot say. */
function isNode(pid: number): boolean {
  const cmdline = readOr(`/proc/${pid}/cmdline`);
  return cmdline === null || /(^|\/)(node|nodejs|pimonitor)[^/\0]*\0/.test(cmdline);
}

/**
 * A lock file naming this process, so two openers never share the embedded database directory or a
 * spool (PGlite has no lock of its own, and two writers corrupt either). A lock whose holder is gone
 * (not running, another boot, its pid now another process's) is taken over, and `onStale` says why.
 */
export function acquirePidLock(path: string, what: string, onStale?: (reason: string) => void): () => void {
  const key = resolve(path);
  if (heldHere.has(key)) {
    throw new Error(`${what} is already open in this process (lock file ${path}); close it first`);
  }
  const me = thisProcess();
  const content = JSON.stringify(me);
  try {
    writeFileSync(path, content, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const holder = parseHolder(readOr(path) ?? '');
    const reason = staleReason(holder, { pid: me.pid, bootId: me.bootId, startTicksOf, alive: isAlive, isNode });
    if (reason === null) {
      throw new Error(`${what} is in use by process ${holder!.pid} (lock file ${path}); stop that process first`);
    }
    writeFileSync(path, content);
    onStale?.(reason);
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

/** Makes a directory under DATA_DIR; one that cannot be written is said plainly (shared/writable-dir.ts). */
export function ensureDir(path: string): void {
  ensureWritableDir(path);
}

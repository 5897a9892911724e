import {
  accessSync, closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, readlinkSync, rmSync, statSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { ExpectedError } from './expected-error.js';

/** A directory pimonitor must write (under DATA_DIR) cannot be made or written: said plainly, no stack. */
export class UnwritableDirError extends ExpectedError {}

/**
 * Makes `dir` and checks that it can be written, or throws an UnwritableDirError naming the directory,
 * the setting it comes from and why (issue 25: a read-only DATA_DIR was reported as "ENOENT … mkdir",
 * which is what Node's recursive mkdir says on a read-only filesystem).
 */
export function ensureWritableDir(dir: string, setting = 'DATA_DIR'): void {
  try {
    mkdirSync(dir, { recursive: true });
    if (!writable(dir)) accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new UnwritableDirError(
      `cannot write to ${resolve(dir)} (under ${setting}): ${whyUnwritable(dir, err)}; `
        + `set ${setting} to a writable directory (the systemd unit's StateDirectory makes /var/lib/pimonitor)`,
      { cause: err },
    );
  }
}

/**
 * access() answers for the real uid without capabilities: a process that may write by CAP_DAC_OVERRIDE
 * is told EACCES. When it says so, a file is made and removed to be sure (only then: on a full card
 * making one could fail, and the node must start on a full card).
 */
function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch (err) {
    if (!['EACCES', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? '')) return false;
  }
  const probe = join(dir, `.write-check-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
    rmSync(probe);
    return true;
  } catch (err) {
    return ['ENOSPC', 'EDQUOT', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '');
  }
}

function whyUnwritable(dir: string, err: unknown): string {
  const inTheWay = notADirectory(resolve(dir));
  if (inTheWay) return inTheWay;
  let at = resolve(dir);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  try {
    accessSync(at, constants.W_OK);
  } catch (accessError) {
    const code = (accessError as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return `${at} is on a read-only filesystem`;
    if (code === 'EACCES' || code === 'EPERM') return `${at} is not writable by user ${userName()}`;
  }
  const { code, message } = err as NodeJS.ErrnoException;
  return code ? `${code} (${message})` : String(err);
}

/**
 * What stands where a directory of the path should be: a symbolic link to nothing (DATA_DIR on a drive
 * that is not mounted: Node's mkdir says ENOENT), a link loop, or a file. Null when nothing does.
 */
function notADirectory(path: string): string | null {
  const parts = path.split(sep).filter(Boolean);
  for (let i = 1, at = ''; i <= parts.length; i++) {
    at = sep + parts.slice(0, i).join(sep);
    let link = false;
    try {
      link = lstatSync(at).isSymbolicLink();
      if (!statSync(at).isDirectory()) return `${at} is a file, not a directory`;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') return `${at} is a symbolic link that leads back to itself`;
      if (code === 'ENOENT' && link) {
        return `${at} is a symbolic link to ${readlinkSync(at)}, which does not exist (a drive not mounted?)`;
      }
      // Not there (it is to be made from here) or not to be looked into: the permission check says why.
      return null;
    }
  }
  return null;
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
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
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new UnwritableDirError(`cannot write to ${resolve(dir)} (under ${setting}): ${whyUnwritable(dir, err)}; set ${setting} to a writable directory (the systemd unit's StateDirectory makes /var/lib/pimonitor)`, { cause: err });
  }
}

function whyUnwritable(dir: string, err: unknown): string {
  let at = resolve(dir);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  try {
    accessSync(at, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return `${at} is on a read-only filesystem`;
    if (code === 'EACCES' || code === 'EPERM') return `${at} is not writable by user ${userName()}`;
  }
  const { code, message } = err as NodeJS.ErrnoException;
  return code ? `${code} (${message})` : String(err);
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

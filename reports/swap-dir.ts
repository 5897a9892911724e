import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { lstat, mkdir, readdir, readlink, rename, rm, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * A directory that is replaced whole, so a reader (a web server, a sync tool) always finds a complete
 * one: `<dir>` is a symbolic link to a hidden build beside it, `.<name>.<id>`. A new build is written
 * in full first, then a new link is renamed over the old one (one rename(2): atomic). Two directories
 * cannot be swapped in one step; removing the old one first left nothing there, or nothing at all if
 * the rename then failed.
 *
 * A build no link points to any more is kept SUPERSEDED_KEPT_MS after it was replaced (a reader that
 * followed the old link just before still finds its files), then removed by a later replacement in the
 * same parent, as are builds whose link was deleted and the leftovers of an interrupted write.
 *
 * A file system without symbolic links (FAT or exFAT on a USB stick, an SMB share, Windows without the
 * right to make them) gets the next best: the old directory renamed aside, the new one renamed in, the
 * old kept as above. A reader may then find none for the instant between the two renames.
 */
export const SUPERSEDED_KEPT_MS = 10 * 60_000;

/** `.<name>.<pid>-<8 hex>`, with `.partial` while it is written or `.link` for the link before the rename. */
const ENTRY = /^\.(.+)\.(\d+-[0-9a-f]{8})(\.partial|\.link)?$/;
const newId = () => `${process.pid}-${randomBytes(4).toString('hex')}`;
/** What symlink(2) says on a file system, or for a user, that cannot make links. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EINVAL', 'EACCES']);

/**
 * symlink: the one call whose failure means "no links here"; rename: the one that puts the new link in
 * place. Parameters so a test can be such a file system, or run another writer at that instant.
 */
export interface SwapFs {
  symlink: (target: string, path: string) => Promise<void>;
  rename?: (from: string, to: string) => Promise<void>;
}

/** Replaces `dir` by what `fill` writes into the directory it is given; the old one stays if anything fails. */
export async function replaceDirectory(
  dir: string,
  fill: (build: string) => Promise<void>,
  now: () => number = Date.now,
  io: SwapFs = fs,
): Promise<void> {
  const parent = dirname(dir);
  const name = basename(dir);
  const build = `.${name}.${newId()}`;
  await mkdir(parent, { recursive: true });
  const partial = join(parent, `${build}.partial`);
  await mkdir(partial);
  try {
    await fill(partial);
    await rename(partial, join(parent, build));
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
  const link = join(parent, `${build}.link`);
  try {
    const linked = await io.symlink(build, link).then(() => true, (err: NodeJS.ErrnoException) => {
      if (!NO_LINKS.has(err.code ?? '')) throw err;
      return false;
    });
    if (linked) {
      // The build being replaced is touched first: another writer's sweep, running at the instant it is
      // no longer linked, must find it recent, not as old as it was written, and leave it to its readers.
      const previous = await readlink(dir).catch(() => undefined);
      if (previous !== undefined && ENTRY.test(previous)) {
        await utimes(join(parent, previous), now() / 1000, now() / 1000).catch(() => {});
      }
      await (io.rename ?? rename)(link, dir).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EISDIR') throw err;
        // A plain directory (a report from before links): moved aside once (touched first, as above),
        // then the link takes its place.
        const aside = `.${name}.${newId()}`;
        await utimes(dir, now() / 1000, now() / 1000);
        await rename(dir, join(parent, aside));
        await rename(link, dir);
      });
    } else {
      await renameInto(parent, name, build, now());
    }
  } catch (err) {
    await rm(link, { force: true });
    await rm(join(parent, build), { recursive: true, force: true });
    throw err;
  }
  await sweep(parent, now());
}

/** Without links: `dir` aside (if there is one), the build renamed to `dir`; the old put back if that fails. */
async function renameInto(parent: string, name: string, build: string, now: number): Promise<void> {
  const dir = join(parent, name);
  const aside = join(parent, `.${name}.${newId()}`);
  const moved = await rename(dir, aside).then(() => true, (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return false;
    throw err;
  });
  try {
    await rename(join(parent, build), dir);
  } catch (err) {
    if (moved) await rename(aside, dir);
    throw err;
  }
  if (moved) await utimes(aside, now / 1000, now / 1000).catch(() => {});
}

/**
 * Removes builds, partial builds and links of `parent` that nothing points to and are older than
 * SUPERSEDED_KEPT_MS.
 */
async function sweep(parent: string, now: number): Promise<void> {
  for (const entry of await readdir(parent)) {
    const match = ENTRY.exec(entry);
    if (!match) continue;
    if (!match[3] && (await readlink(join(parent, match[1]!)).catch(() => undefined)) === entry) continue;
    const stat = await lstat(join(parent, entry)).catch(() => undefined);
    if (stat && now - stat.mtimeMs > SUPERSEDED_KEPT_MS) {
      await rm(join(parent, entry), { recursive: true, force: true });
    }
  }
}

import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readlink, rename, rm, symlink, utimes } from 'node:fs/promises';
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
 */
export const SUPERSEDED_KEPT_MS = 10 * 60_000;

/** `.<name>.<pid>-<8 hex>`, with `.partial` while it is written or `.link` for the link before the rename. */
const ENTRY = /^\.(.+)\.(\d+-[0-9a-f]{8})(\.partial|\.link)?$/;
const newId = () => `${process.pid}-${randomBytes(4).toString('hex')}`;

/** Replaces `dir` by what `fill` writes into the directory it is given; the old one stays if anything fails. */
export async function replaceDirectory(dir: string, fill: (build: string) => Promise<void>, now: () => number = Date.now): Promise<void> {
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
    await symlink(build, link);
    const previous = await readlink(dir).catch(() => undefined);
    await rename(link, dir).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EISDIR') throw err;
      // A plain directory (a report from before links): moved aside once, then the link takes its place.
      const aside = `.${name}.${newId()}`;
      await rename(dir, join(parent, aside));
      await rename(link, dir);
      await utimes(join(parent, aside), now() / 1000, now() / 1000);
    });
    if (previous !== undefined && ENTRY.test(previous)) await utimes(join(parent, previous), now() / 1000, now() / 1000).catch(() => {});
  } catch (err) {
    await rm(link, { force: true });
    await rm(join(parent, build), { recursive: true, force: true });
    throw err;
  }
  await sweep(parent, now());
}

/** Removes builds, partial builds and links of `parent` that nothing points to and are older than SUPERSEDED_KEPT_MS. */
async function sweep(parent: string, now: number): Promise<void> {
  for (const entry of await readdir(parent)) {
    const match = ENTRY.exec(entry);
    if (!match) continue;
    if (!match[3] && (await readlink(join(parent, match[1]!)).catch(() => undefined)) === entry) continue;
    const stat = await lstat(join(parent, entry)).catch(() => undefined);
    if (stat && now - stat.mtimeMs > SUPERSEDED_KEPT_MS) await rm(join(parent, entry), { recursive: true, force: true });
  }
}

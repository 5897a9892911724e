// @engine-independent: opens no database (jest.config.js)
import { existsSync, mkdtempSync, readlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replaceDirectory } from '../reports/swap-dir.js';

/**
 * Two writers in one reports directory (the scheduler and `report --send-now`): each write sweeps the
 * builds no link points to. The build a write replaces was touched only after its link was swapped, so
 * another writer's sweep at that instant found it unlinked and as old as it was written, and removed it
 * under the readers it is kept for.
 */
const writing = (text: string) => async (build: string) => writeFileSync(join(build, 'index.html'), text);

test(
  "a build just replaced is kept for its readers even when another writer's sweep runs at that instant",
  async () => {
    const parent = join(mkdtempSync(join(tmpdir(), 'pimonitor-report-race-')), 'reports');
    const morning = join(parent, 'morning-2026-03-28-2300');
    await replaceDirectory(morning, writing('version 1'));
    const first = join(parent, readlinkSync(morning));
    const hourAgo = (Date.now() - 3_600_000) / 1000;
    utimesSync(first, hourAgo, hourAgo); // a report delivered again an hour after it was first written

    // The other writer (another report in the same directory) runs the instant the new link is in place.
    const renameThenOtherWriter = async (from: string, to: string) => {
      await fsp.rename(from, to);
      await replaceDirectory(join(parent, 'evening-2026-03-28-1100'), writing('evening'));
    };
    await replaceDirectory(morning, writing('version 2'), Date.now, {
      symlink: fsp.symlink, rename: renameThenOtherWriter,
    });
    expect(existsSync(join(morning, 'index.html'))).toBe(true);
    expect(existsSync(join(first, 'index.html'))).toBe(true); // still there for a reader that had version 1
  },
);

// @engine-independent: opens no database (jest.config.js)
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replaceDirectory, SUPERSEDED_KEPT_MS } from '../reports/swap-dir.js';

/**
 * A report directory on a file system without symbolic links (FAT/exFAT on a USB stick, an SMB share,
 * Windows without the right to make links): symlink(2) fails with EPERM there, and every report write
 * failed. It must still be replaced whole, as a plain directory.
 */
const noLinks = {
  symlink: async () =>
    Promise.reject(Object.assign(new Error('EPERM: operation not permitted, symlink'), { code: 'EPERM' })),
};
const writing = (text: string) => async (build: string) => writeFileSync(join(build, 'index.html'), text);

test('without links a report is still written, replaced whole, and the old one kept a while then swept', async () => {
  const parent = join(mkdtempSync(join(tmpdir(), 'pimonitor-report-nolinks-')), 'reports');
  const dir = join(parent, 'morning-2026-03-28-2300');
  await replaceDirectory(dir, writing('version 1'), Date.now, noLinks);
  expect(lstatSync(dir).isDirectory()).toBe(true);
  expect(readFileSync(join(dir, 'index.html'), 'utf8')).toBe('version 1');
  expect(readdirSync(parent)).toEqual(['morning-2026-03-28-2300']);

  await replaceDirectory(dir, writing('version 2'), Date.now, noLinks);
  expect(readFileSync(join(dir, 'index.html'), 'utf8')).toBe('version 2');
  expect(readdirSync(parent)).toHaveLength(2); // version 1, aside for readers that had it

  const later = () => Date.now() + SUPERSEDED_KEPT_MS + 60_000;
  await replaceDirectory(dir, writing('version 3'), later, noLinks);
  expect(readFileSync(join(dir, 'index.html'), 'utf8')).toBe('version 3');
  expect(readdirSync(parent)).toHaveLength(2); // version 1 swept, version 2 aside
});

test(
  'without links a failed write keeps the report there was, a plain directory from before too, and leaves nothing',
  async () => {
    const parent = join(mkdtempSync(join(tmpdir(), 'pimonitor-report-nolinks-fail-')), 'reports');
    const dir = join(parent, 'weekly-2026-03-23-0000');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.html'), 'from before');
    const failing = async () => Promise.reject(new Error('disk full'));
    await expect(replaceDirectory(dir, failing, Date.now, noLinks)).rejects.toThrow('disk full');
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toBe('from before');
    expect(readdirSync(parent)).toEqual(['weekly-2026-03-23-0000']);
    // Any other symlink failure is not "no links here": it is said, and the report there was stays.
    const broken = {
      symlink: async () => Promise.reject(Object.assign(new Error('EIO: i/o error, symlink'), { code: 'EIO' })),
    };
    await expect(replaceDirectory(dir, writing('new'), Date.now, broken)).rejects.toThrow('EIO');
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toBe('from before');
    expect(readdirSync(parent)).toEqual(['weekly-2026-03-23-0000']);
  },
);

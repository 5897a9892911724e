// @engine-independent: opens no database (jest.config.js)
import {
  existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuiltReport } from '../reports/build.js';
import { writeReportFiles } from '../reports/deliver.js';
import { replaceDirectory, SUPERSEDED_KEPT_MS } from '../reports/swap-dir.js';
import { spawnLogged } from './support/processes.js';

/**
 * Issue 26: a report directory delivered again (a retry, `report --send-now`) was removed before the
 * new one was renamed into place: a reader saw none in between, and none at all if the rename failed.
 */

/** A report of version `n`: an index.html of 64 KiB that ends in </html>, and the image it shows. */
const reportOf = (n: number, imageName = 'chart.png'): BuiltReport => ({
  images: [{ filename: imageName, png: Buffer.from(`image ${n} `.repeat(2000)), cid: 'c' }],
  fileHtml: `<html><!-- version ${n} -->${'x'.repeat(65_536)}<img src="chart.png"></html>`,
  text: `version ${n}`,
}) as unknown as BuiltReport;

/** Reads <dir>/index.html and the image it shows as fast as it can until <root>/done exists; prints what it saw. */
const READER = `
const fs = require('node:fs');
const [dir, done] = process.argv.slice(1);
const seen = { reads: 0, missing: 0, partial: 0, versions: new Set(), first: '' };
let ready = false;
while (!fs.existsSync(done)) {
  try {
    const html = fs.readFileSync(dir + '/index.html', 'utf8');
    const image = fs.readFileSync(dir + '/chart.png');
    if (!html.endsWith('</html>') || image.length < 2000) seen.partial++;
    seen.versions.add(/version (\\d+)/.exec(html)?.[1]);
    seen.reads++;
    if (!ready) (ready = true, console.log('ready'));
  } catch (err) {
    seen.missing++;
    seen.first ||= err.code + ' ' + err.path;
  }
}
console.log(JSON.stringify({ ...seen, versions: seen.versions.size }));
`;

test('a reader never finds the report missing or partial while it is replaced 60 times', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pimonitor-report-swap-'));
  const dir = join(root, 'reports', 'morning-2026-03-28-2300');
  await writeReportFiles(reportOf(0), dir);
  const reader = spawnLogged(process.execPath, ['-e', READER, dir, join(root, 'done')], process.env);
  try {
    await reader.waitFor('ready');
    for (let n = 1; n <= 60; n++) await writeReportFiles(reportOf(n), dir);
  } finally {
    writeFileSync(join(root, 'done'), '');
  }
  await reader.exited;
  const seen = JSON.parse(reader.output().trim().split('\n').pop()!);
  expect({ missing: seen.missing, partial: seen.partial, first: seen.first })
    .toEqual({ missing: 0, partial: 0, first: '' });
  expect(seen.versions).toBeGreaterThan(1); // it did read while the report changed
  expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('version 60');
}, 30_000);

test('a write that fails keeps the report there was, and leaves nothing of itself', async () => {
  const parent = join(mkdtempSync(join(tmpdir(), 'pimonitor-report-fail-')), 'reports');
  const dir = join(parent, 'weekly-2026-03-23-0000');
  await writeReportFiles(reportOf(1), dir);
  const before = readdirSync(parent).sort();
  // An image that cannot be written (its directory does not exist) fails the write midway.
  await expect(writeReportFiles(reportOf(2, 'no-such-dir/chart.png'), dir)).rejects.toThrow(/ENOENT/);
  expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('version 1');
  expect(readdirSync(parent).sort()).toEqual(before);
});

test(
  'a report directory from before links is replaced once; builds superseded long ago go at a later write',
  async () => {
    const parent = join(mkdtempSync(join(tmpdir(), 'pimonitor-report-old-')), 'reports');
    const dir = join(parent, 'morning-2026-03-01-2300');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<html>old</html>');
    await writeReportFiles(reportOf(1), dir);
    expect(lstatSync(dir).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('version 1');
    await writeReportFiles(reportOf(2), dir);
    // The old plain directory and version 1 are kept a while for readers that had them open.
    expect(readdirSync(parent).filter((e) => e.startsWith('.'))).toHaveLength(3);
    const later = () => Date.now() + SUPERSEDED_KEPT_MS + 60_000;
    const version3 = async (build: string) => writeFileSync(join(build, 'index.html'), '<html>version 3</html>');
    await replaceDirectory(dir, version3, later);
    // Left: the new build and the one it replaced just now.
    const left = readdirSync(parent);
    expect(left).toHaveLength(3);
    expect(left).toEqual(expect.arrayContaining(['morning-2026-03-01-2300', readlinkSync(dir)]));
    const superseded = left.filter((e) => e !== 'morning-2026-03-01-2300');
    expect(superseded.every((e) => /^\.morning-2026-03-01-2300\.\d+-[0-9a-f]{8}$/.test(e))).toBe(true);
    expect(existsSync(join(dir, 'index.html'))).toBe(true);
  },
);

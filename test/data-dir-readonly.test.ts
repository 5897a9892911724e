// @engine-independent: opens no database (jest.config.js)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from '../shared/spool/spool.js';
import { UnwritableDirError } from '../shared/writable-dir.js';
import { runCli } from './helpers/cli.js';

/**
 * Issue 25: a read-only DATA_DIR was reported as "ENOENT … mkdir" (what Node's recursive mkdir says on
 * a read-only filesystem). It is said plainly: the directory, DATA_DIR, and that it is read-only.
 * A read-only tmpfs needs root to mount.
 */

const isRoot = process.getuid?.() === 0;
const requireRoot = isRoot || process.env.CI === 'true' ? test : test.skip;
if (!isRoot && process.env.CI !== 'true') console.log('data-dir-readonly: run as root (to mount a read-only tmpfs) for these tests');

let mountPoint: string | undefined;
afterEach(() => {
  if (mountPoint) execFileSync('umount', ['-l', mountPoint]);
  mountPoint = undefined;
});

function readOnlyCard(): string {
  mountPoint = mkdtempSync(join(tmpdir(), 'pimonitor-ro-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', mountPoint]);
  return mountPoint;
}

requireRoot('pimonitor node on a read-only DATA_DIR: exit 1 with one line naming the directory, DATA_DIR and the read-only filesystem', async () => {
  const card = readOnlyCard();
  const config = join(mkdtempSync(join(tmpdir(), 'pimonitor-ro-config-')), 'node.json');
  writeFileSync(config, JSON.stringify({ mqtt: { url: 'mqtt://127.0.0.1:1' }, node: { device: 'ro', intervalMs: 500, clockSyncFile: '', simulate: true } }));
  for (const dataDir of [card, join(card, 'not-made-yet')]) {
    const { code, output } = await runCli(['node', '--config', config], { DATA_DIR: dataDir });
    expect(code).toBe(1);
    const said = output.split('\n').filter((l) => l.startsWith('pimonitor:'));
    expect(said).toEqual([expect.stringContaining(`${card} is on a read-only filesystem`)]);
    expect(said[0]).toContain(join(dataDir, 'outbox', 'ro'));
    expect(said[0]).toContain('DATA_DIR');
    expect(output).not.toContain('ENOENT');
    expect(output).not.toContain('    at ');
  }
}, 30_000);

requireRoot('a spool (ingest, the node) in an existing directory of a read-only filesystem: the same plain error, not EROFS on the lock file', () => {
  const card = readOnlyCard();
  let thrown: unknown;
  try {
    Spool.open({ dir: card, segmentBytes: 1 << 16 }).spool.close();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(UnwritableDirError);
  expect((thrown as Error).message).toMatch(/is on a read-only filesystem.*DATA_DIR/);
});

// @engine-independent: opens no database (jest.config.js)
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../shared/paths.js';
import { Spool } from '../shared/spool/spool.js';
import { ensureWritableDir, UnwritableDirError } from '../shared/writable-dir.js';
import { runCli } from './helpers/cli.js';

/**
 * Issue 25: a read-only DATA_DIR was reported as "ENOENT … mkdir" (what Node's recursive mkdir says on
 * a read-only filesystem). It is said plainly: the directory, DATA_DIR, and that it is read-only.
 * A read-only tmpfs needs root to mount.
 */

const isRoot = process.getuid?.() === 0;
const requireRoot = isRoot || process.env.CI === 'true' ? test : test.skip;
if (!isRoot && process.env.CI !== 'true')
  console.log('data-dir-readonly: run as root (to mount a read-only tmpfs) for these tests');

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

requireRoot(
  'pimonitor node on a read-only DATA_DIR: exit 1 with one line naming the directory, DATA_DIR and the read-only ' +
    'filesystem',
  async () => {
    const card = readOnlyCard();
    const config = join(mkdtempSync(join(tmpdir(), 'pimonitor-ro-config-')), 'node.json');
    writeFileSync(
      config,
      JSON.stringify({
        mqtt: { url: 'mqtt://127.0.0.1:1' }, node: { device: 'ro', intervalMs: 500, clockSyncFile: '', simulate: true },
      }),
    );
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
  },
  30_000,
);

requireRoot(
  'a spool (ingest, the node) in an existing directory of a read-only filesystem: the same plain error, not EROFS on ' +
    'the lock file',
  () => {
    const card = readOnlyCard();
    let thrown: unknown;
    try {
      Spool.open({ dir: card, segmentBytes: 1 << 16 }).spool.close();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UnwritableDirError);
    expect((thrown as Error).message).toMatch(/is on a read-only filesystem.*DATA_DIR/);
  },
);

/** What ensureWritableDir says of `dir`, or 'ok'. */
function said(dir: string): string {
  try {
    ensureWritableDir(dir);
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(UnwritableDirError);
    return (err as Error).message;
  }
}

test('DATA_DIR a symbolic link to a drive that is not mounted: said so, not "ENOENT … mkdir"', () => {
  const base = mkdtempSync(join(tmpdir(), 'pimonitor-link-'));
  const dataDir = join(base, 'pimonitor');
  symlinkSync(join(base, 'usb', 'pimonitor'), dataDir);
  const message = said(join(dataDir, 'outbox', 'node'));
  expect(message).toContain(`${dataDir} is a symbolic link to ${join(base, 'usb', 'pimonitor')}, which does not exist`);
  expect(message).not.toContain('ENOENT');
});

test(
  'a file where DATA_DIR or a directory under it should be, and a symbolic link loop: said so, not ENOTDIR or ELOOP',
  () => {
    const base = mkdtempSync(join(tmpdir(), 'pimonitor-link-'));
    writeFileSync(join(base, 'afile'), '');
    expect(said(join(base, 'afile', 'outbox', 'node'))).toContain(`${join(base, 'afile')} is a file, not a directory`);
    symlinkSync(join(base, 'loop-b'), join(base, 'loop-a'));
    symlinkSync(join(base, 'loop-a'), join(base, 'loop-b'));
    expect(said(join(base, 'loop-a', 'outbox'))).toContain(
      `${join(base, 'loop-a')} is a symbolic link that leads back to itself`,
    );
    // A symbolic link to a directory that is there is fine.
    mkdirSync(join(base, 'real'));
    symlinkSync(join(base, 'real'), join(base, 'good'));
    expect(said(join(base, 'good', 'outbox', 'node'))).toBe('ok');
  },
);

requireRoot(
  'a directory the user may write only by a capability (CAP_DAC_OVERRIDE, which access() does not count): not refused',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'pimonitor-cap-'));
    chmodSync(dir, 0o755);
    // The module is copied where user nobody can read it: the checkout may sit under a directory only
    // root may enter (mktemp -d makes 0700 ones, and CI clones into one).
    const code = mkdtempSync(join(tmpdir(), 'pimonitor-cap-code-'));
    chmodSync(code, 0o755);
    writeFileSync(join(code, 'package.json'), '{"type":"module"}');
    for (const file of ['writable-dir.js', 'expected-error.js'])
      copyFileSync(join(PACKAGE_ROOT, 'dist', 'shared', file), join(code, file));
    const module = join(code, 'writable-dir.js');
    const script = `import(${JSON.stringify(module)}).then(({ ensureWritableDir }) => { ` +
      `ensureWritableDir(${JSON.stringify(dir)}); ` +
        `require('fs').writeFileSync(${JSON.stringify(join(dir, 'written'))}, 'x'); console.log('written'); })`;
    const asNobody = [
      '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=+dac_override', '--ambient-caps=+dac_override',
    ];
    expect(execFileSync('setpriv', [...asNobody, process.execPath, '-e', script], { encoding: 'utf8' }).trim()).toBe(
      'written',
    );
    // Without the capability: refused, plainly.
    const refused = spawnSync('setpriv', [
      '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script,
    ], { encoding: 'utf8' });
    expect(refused.stderr).toContain(`${dir} is not writable by user nobody`);
    for (const made of [dir, code]) rmSync(made, { recursive: true, force: true });
  },
);

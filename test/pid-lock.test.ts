// @engine-independent: opens no database (jest.config.js)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { acquirePidLock, bootId, parseHolder, startTicksOf } from '../shared/pid-lock.js';
import { killWhenFileEnds } from './support/processes.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

/**
 * Issue 25, item 3: a lock names a process that is really this program (pid, boot, start time), so a
 * pid recycled after a power cut never blocks start-up, and a running holder is still refused.
 */

const hasProc = startTicksOf(process.pid) !== null;
const linuxOnly = hasProc ? test : test.skip;
if (!hasProc) console.log('pid-lock: /proc is missing here; the start-time tests run on Linux only');

let dir: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pimonitor-lock-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** A process that lives until the test ends, once it has started. */
async function running(command: string, args: string[]): Promise<number> {
  const child = killWhenFileEnds(spawn(command, args, { stdio: 'ignore' }));
  children.push(child);
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child.pid!;
}

const lockFile = () => join(dir, 'lock');
const take = () => {
  const stale: string[] = [];
  const release = acquirePidLock(lockFile(), 'spool test', (reason) => stale.push(reason));
  return { release, stale };
};

linuxOnly(
  'a lock whose pid now belongs to another process (a reboot recycled it) is taken over, and says why',
  async () => {
    const other = await running('sleep', ['30']);
    writeFileSync(lockFile(), JSON.stringify({ pid: other, bootId: bootId(), startTicks: '1' }));
    const { release, stale } = take();
    expect(stale).toEqual([`pid ${other} now belongs to another process`]);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toMatchObject({
      pid: process.pid, startTicks: startTicksOf(process.pid),
    });
    release();
  },
);

linuxOnly('a lock from before the machine restarted is taken over whatever its pid runs now', async () => {
  const other = await running(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
  writeFileSync(lockFile(), JSON.stringify({ pid: other, bootId: 'another-boot', startTicks: startTicksOf(other) }));
  const { release, stale } = take();
  expect(stale).toEqual([`process ${other} held it before the machine restarted`]);
  release();
});

linuxOnly('a lock held by a running process is refused, naming it', async () => {
  const holder = await running(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
  writeFileSync(lockFile(), JSON.stringify({ pid: holder, bootId: bootId(), startTicks: startTicksOf(holder) }));
  expect(() => take()).toThrow(
    `spool test is in use by process ${holder} (lock file ${lockFile()}); stop that process first`,
  );
});

linuxOnly(
  'an older lock with a bare pid: refused while a Node process has it, taken over from anything else',
  async () => {
    const node = await running(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    writeFileSync(lockFile(), String(node));
    expect(() => take()).toThrow(`in use by process ${node}`);
    const sleeper = await running('sleep', ['30']);
    writeFileSync(lockFile(), `${sleeper}\n`);
    const { release, stale } = take();
    expect(stale).toEqual([`pid ${sleeper} now belongs to a process that is not pimonitor`]);
    release();
  },
);

test(
  'a lock of a process that is gone, a damaged one, and one naming this pid are taken over; a second open here is ' +
    'refused',
  () => {
    for (const [content, reason] of [
      [
        JSON.stringify({ pid: 2 ** 22 + 17, bootId: bootId(), startTicks: '5' }),
        `process ${2 ** 22 + 17} is not running`,
      ],
      ['{"pid":', 'the lock file is damaged'],
      [String(process.pid), `it names this process's pid ${process.pid}, left by an earlier process with the same pid`],
    ]) {
      writeFileSync(lockFile(), content!);
      const { release, stale } = take();
      expect(stale).toEqual([reason]);
      expect(() => take()).toThrow('already open in this process');
      release();
    }
  },
);

test('parseHolder never throws, and gives a holder only for a positive whole pid', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.json(), fc.integer().map(String)), (text) => {
    const holder = parseHolder(text);
    return holder === null || (Number.isInteger(holder.pid) && holder.pid > 0);
  }), { seed: FUZZ_SEED, numRuns: fuzzRuns(2000) });
});

import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes, randomInt } from 'node:crypto';
import { addAccount, listAccounts } from '../broker/accounts.js';
import { Authenticator } from '../broker/authenticator.js';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { createLogger } from '../shared/log.js';
import { PACKAGE_ROOT } from '../shared/paths.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { testWhen } from './support/services.js';

/**
 * A second host on this machine: a network namespace joined by a veth pair on a private /30 that
 * only this test uses, so the broker sees a client from a non-loopback address. Needs root and
 * iproute2 (CI has both); elsewhere the test is skipped and says why.
 */
const ns = `pm${randomBytes(3).toString('hex')}`;
const subnet = randomInt(0, 64) * 4;
const hostIp = `10.231.${randomInt(0, 256)}.${subnet + 1}`;
const peerIp = hostIp.replace(/\d+$/, String(subnet + 2));
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
let netnsProblem: string | null = null;
try {
  ip('netns', 'add', ns);
  ip('link', 'add', `${ns}a`, 'type', 'veth', 'peer', 'name', `${ns}b`);
  ip('link', 'set', `${ns}b`, 'netns', ns);
  ip('addr', 'add', `${hostIp}/30`, 'dev', `${ns}a`);
  ip('link', 'set', `${ns}a`, 'up');
  ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${peerIp}/30`, 'dev', `${ns}b`);
  ip('netns', 'exec', ns, 'ip', 'link', 'set', `${ns}b`, 'up');
} catch (err) {
  netnsProblem = `cannot create a network namespace here: ${(err as Error).message.split('\n')[0]}`;
}
const netnsTest = testWhen(
  netnsProblem && `${netnsProblem}; run the tests as root with iproute2 installed`, 'the non-loopback broker tests',
);

/** Runs an MQTT client inside the namespace; resolves with "connected" or the broker's refusal. */
async function connectFromOtherHost(port: number, username?: string, password?: string): Promise<string> {
  const code = `import('mqtt').then(({ default: mqtt }) => mqtt.connectAsync('mqtt://${hostIp}:${port}', { ` +
    `reconnectPeriod: 0, connectTimeout: 5000, username: ${JSON.stringify(username)}, ` +
      `password: ${JSON.stringify(password)} }))
    .then((c) => { console.log('connected'); return c.endAsync(); }, (e) => console.log(e.message))`;
  // Not execFileSync: the broker under test runs in this process and must keep answering.
  const { stdout } = await promisify(execFile)('ip', [
    'netns', 'exec', ns, process.execPath, '--input-type=module', '-e', code,
  ], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
  return stdout.trim();
}

let t: TestDatabase;
let auth: Authenticator;
let broker: RunningBroker;
beforeAll(async () => {
  if (netnsProblem) return;
  t = await createMigratedTestDatabase();
  auth = new Authenticator(() => listAccounts(t.db), { refreshMs: 100, failureDelayMs: 10 });
  await auth.start();
  broker = await startBroker({ host: hostIp, port: 0, log: createLogger('broker', 'silent'), authenticator: auth });
});
afterAll(async () => {
  if (!netnsProblem) {
    await broker.stop();
    auth.stop();
    await t.stop();
  }
  try {
    ip('netns', 'del', ns);
    ip('link', 'del', `${ns}a`);
  } catch {
    // already gone with the namespace
  }
});

netnsTest(
  'from another host: anonymous is refused, even with no accounts; with an account, its login works',
  async () => {
    expect(await connectFromOtherHost(broker.port)).toMatch(/Not authorized/);
    const password = await addAccount(t.db, 'remote-node', 'device');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await connectFromOtherHost(broker.port)).toMatch(/Not authorized/);
    expect(await connectFromOtherHost(broker.port, 'remote-node', 'wrong')).toMatch(/Bad username or password/);
    expect(await connectFromOtherHost(broker.port, 'remote-node', password)).toBe('connected');
  },
  60_000,
);

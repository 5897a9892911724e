import fc from 'fast-check';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { addAccount, revokeAccount, rotateAccount } from '../broker/accounts.js';
import { hostAllowed, hostOfHeader, isLoopbackName, originAllowed, parseHostList } from '../shared/allowed-hosts.js';
import { FREE_FAILURES, MAX_CHECKS_PER_CLIENT, MAX_CONCURRENT_CHECKS } from '../web/auth.js';
import { door } from '../web/doors.js';
import { WebServer } from '../web/server.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';
import { testWhen } from './support/services.js';

// Issue 23, item 5: Host check, who needs a login, and the password checks. Real HTTP requests with the
// headers a rebinding page, a proxy or a guesser would send.

let t: TestDatabase;
let server: WebServer;
let viewer: string;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

beforeAll(async () => {
  t = await createMigratedTestDatabase();
  viewer = await addAccount(t.db, 'viewer', 'reader');
  server = new WebServer({
    db: t.db,
    host: '127.0.0.1',
    port: 0,
    failureDelayMs: 50,
    allowedHosts: ['pi.lan'],
    accountsRefreshMs: 100,
  });
  await server.start();
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await t?.stop();
});

/** A GET with exactly these headers (fetch would set Host itself); resolves with status, body and time taken. */
function get(path: string, headers: Record<string, string>, { host = '127.0.0.1', port = server.port } = {}) {
  const started = process.hrtime.bigint();
  return new Promise<{ status: number; body: string; ms: number }>((resolve, reject) => {
    const req = request({ host, port, path, headers, setHost: false, timeout: 30_000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, ms: Number(process.hrtime.bigint() - started) / 1e6 }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}
const local = () => ({ host: `127.0.0.1:${server.port}` });
/** Headers of a request a proxy forwards for `forwardedFor`, logging in as `user`. */
const proxiedLogin = (forwardedFor: string, user: string, password: string) => ({
  ...local(),
  'x-forwarded-for': forwardedFor,
  authorization: basic(user, password),
});

test(
  'Host: loopback names and WEB_HOSTS answer; any other name (a rebinding page) gets 421 naming WEB_HOSTS',
  async () => {
    const answered = [
      'localhost',
      `localhost:${server.port}`,
      '127.0.0.1',
      `[::1]:${server.port}`,
      'pi.lan',
      'PI.LAN:8080',
    ];
    for (const host of answered) {
      expect([host, (await get('/api/alerts', { host })).status]).toEqual([host, 200]);
    }
    const refused = [
      'evil.example',
      `evil.example:${server.port}`,
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      'pi.lan.evil.example',
      '-',
      'a b',
    ];
    for (const host of refused) {
      const res = await get('/api/alerts', { host });
      expect([host, res.status]).toEqual([host, 421]);
      expect(JSON.parse(res.body).error).toContain('WEB_HOSTS');
    }
    // No Host at all: Node's HTTP/1.1 server refuses it itself.
    expect((await get('/api/alerts', {})).status).toBe(400);
  },
);

test(
  'through a proxy (Forwarded, X-Forwarded-For) a request needs a reader account, though it comes from loopback',
  async () => {
    expect((await get('/api/alerts', local())).status).toBe(200);
    const proxies = [
      { 'x-forwarded-for': '192.168.1.50' },
      { forwarded: 'for=192.168.1.50;proto=https' },
      { 'x-real-ip': '192.168.1.50' },
    ] as Record<string, string>[];
    for (const proxied of proxies) {
      expect((await get('/api/alerts', { ...local(), ...proxied })).status).toBe(401);
      const login = { ...local(), ...proxied, authorization: basic('viewer', viewer) };
      expect((await get('/api/alerts', login)).status).toBe(200);
    }
  },
);

const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
const withLanAddress = testWhen(
  lanAddress ? null : 'this machine has no non-loopback IPv4 address; connect it to a network',
  'the non-loopback peer test',
);
withLanAddress(
  'from a non-loopback address a login is needed on a server listening on every address; from loopback it is not',
  async () => {
    const lan = new WebServer({ db: t.db, host: '0.0.0.0', port: 0, failureDelayMs: 50, allowedHosts: [lanAddress!] });
    await lan.start();
    try {
      const at = { host: lanAddress!, port: lan.port };
      expect((await get('/api/alerts', { host: `${lanAddress}:${lan.port}` }, at)).status).toBe(401);
      const login = { host: `${lanAddress}:${lan.port}`, authorization: basic('viewer', viewer) };
      expect((await get('/api/alerts', login, at)).status).toBe(200);
      expect((await get('/api/alerts', { host: `127.0.0.1:${lan.port}` }, { port: lan.port })).status).toBe(200);
    } finally {
      await lan.stop();
    }
  },
);

test('a revoked or rotated reader is refused from the next accounts reload on', async () => {
  const password = await addAccount(t.db, 'leaver', 'reader');
  const asLeaver = (p: string) => get('/api/alerts', proxiedLogin('10.1.0.1', 'leaver', p));
  const reloaded = () => new Promise((resolve) => server.auth.once('loaded', resolve));
  await reloaded();
  expect((await asLeaver(password)).status).toBe(200); // now remembered
  const rotated = await rotateAccount(t.db, 'leaver');
  await reloaded();
  expect((await asLeaver(password)).status).toBe(401);
  expect((await asLeaver(rotated)).status).toBe(200);
  await revokeAccount(t.db, 'leaver');
  await reloaded();
  expect((await asLeaver(rotated)).status).toBe(401);
});

test('an unknown user costs the same one scrypt as a known one with a wrong password', async () => {
  const figures: Record<string, number[]> = { known: [], unknown: [] };
  for (let i = 0; i < 6; i++) {
    for (const [kind, user] of [['known', 'viewer'], ['unknown', `nobody${i}`]] as const) {
      const before = server.auth.stats.verifications;
      const res = await get('/api/alerts', proxiedLogin(`10.2.${i}.${kind.length}`, user, 'wrong'));
      expect([kind, res.status, server.auth.stats.verifications - before]).toEqual([kind, 401, 1]);
      figures[kind]!.push(res.ms);
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!.toFixed(0);
  console.log(
    'wrong password, median of 6 (includes the 50 ms failure delay): ' +
      `known user ${median(figures.known!)} ms, unknown user ${median(figures.unknown!)} ms`,
  );
});

test(
  'a flood of wrong passwords from one address: a few are checked, the rest refused at once; ' +
    'another reader logs in meanwhile',
  async () => {
    const before = { ...server.auth.stats };
    const flood = Array.from({ length: 200 }, (_, i) =>
      get('/api/alerts', proxiedLogin('10.66.0.1', 'viewer', `guess${i}`)),
    );
    const valid = await get('/api/alerts', proxiedLogin('10.7.0.1', 'viewer', viewer));
    const answers = await Promise.all(flood);
    expect(valid.status).toBe(200);
    const statuses = answers.reduce<Record<number, number>>(
      (n, a) => ({ ...n, [a.status]: (n[a.status] ?? 0) + 1 }),
      {},
    );
    // Every guess is refused; at most the free failures and those already in flight cost a scrypt.
    expect(statuses[200]).toBeUndefined();
    expect(server.auth.stats.verifications - before.verifications).toBeLessThanOrEqual(
      FREE_FAILURES + MAX_CHECKS_PER_CLIENT + 1,
    );
    expect(server.auth.stats.maxConcurrent).toBeLessThanOrEqual(MAX_CONCURRENT_CHECKS);
    console.log(
      `200 wrong passwords from one address: ${JSON.stringify(statuses)}, ` +
        `${server.auth.stats.verifications - before.verifications} scrypt checks; ` +
        `a valid login from another address meanwhile: ${valid.status} in ${valid.ms.toFixed(0)} ms`,
    );
  },
  60_000,
);

test(
  'a flood from 200 addresses: checks run at most two at a time; ' +
    'a reader already logged in is answered without a check',
  async () => {
    await get('/api/alerts', proxiedLogin('10.8.0.1', 'viewer', viewer));
    const before = { ...server.auth.stats };
    const flood = Array.from({ length: 200 }, (_, i) =>
      get('/api/alerts', proxiedLogin(`10.99.${i >> 8}.${i & 255}`, 'viewer', `guess${i}`)),
    );
    const during = await get('/api/alerts', proxiedLogin('10.8.0.1', 'viewer', viewer));
    const answers = await Promise.all(flood);
    expect(during.status).toBe(200);
    const statuses = answers.reduce<Record<number, number>>(
      (n, a) => ({ ...n, [a.status]: (n[a.status] ?? 0) + 1 }),
      {},
    );
    expect(Object.keys(statuses).sort()).toEqual(expect.arrayContaining(['401']));
    expect((statuses[401] ?? 0) + (statuses[503] ?? 0)).toBe(200);
    expect(server.auth.stats.maxConcurrent).toBeLessThanOrEqual(MAX_CONCURRENT_CHECKS);
    expect(server.auth.stats.verifications - before.verifications).toBe(statuses[401]);
    const fresh = await get('/api/alerts', proxiedLogin('10.9.0.1', 'viewer', viewer));
    expect(fresh.status).toBe(200);
    console.log(
      `200 wrong passwords from 200 addresses: ${JSON.stringify(statuses)}; ` +
        `a logged-in reader meanwhile ${during.ms.toFixed(0)} ms; ` +
        `the flood's slowest answer ${Math.max(...answers.map((a) => a.ms)).toFixed(0)} ms`,
    );
  },
  60_000,
);

test('Host and Origin decisions, from any header: loopback names and the listed hosts only, never a throw', () => {
  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
  const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
  const port = fc.option(fc.integer({ min: 0, max: 65535 }).map(String), { nil: undefined });
  const allowedNames = ['localhost', '127.0.0.1', '[::1]', 'pi.lan', 'PI.lan'];
  const lookalikes = ['localhost.evil', '127.0.0.1.evil', '[::1].evil'];
  const hostName = fc.oneof(name, fc.constantFrom(...allowedNames, ...lookalikes));
  const header = fc.oneof(
    fc.tuple(hostName, port).map(([h, p]) => (p ? `${h}:${p}` : h)),
    fc.string({ maxLength: 40 }),
  );
  const schemes = fc.constantFrom('http', 'https', 'ws', 'file');
  fc.assert(
    fc.property(fc.array(name, { maxLength: 3 }), header, schemes, (listed, h, scheme) => {
      const allowed = parseHostList(listed.join(','));
      expect(allowed.ok).toBe(true);
      const hosts = allowed.ok ? allowed.hosts : [];
      const named = hostOfHeader(h);
      expect(hostAllowed(h, hosts)).toBe(named !== null && (isLoopbackName(named) || hosts.includes(named)));
      if (hostAllowed(h, hosts)) {
        expect(named === 'localhost' || named === '::1' || /^127\./.test(named!) || hosts.includes(named!)).toBe(true);
      }
      const origin = `${scheme}://${h}`;
      const viaOrigin = originAllowed(origin, hosts);
      if (viaOrigin) expect(['http', 'https']).toContain(scheme);
      if (viaOrigin) expect(hostAllowed(new URL(origin).host, hosts)).toBe(true);
      const d = door('127.0.0.1', { host: h }, hosts);
      expect(d.kind).toBe(hostAllowed(h, hosts) ? 'open' : 'refuse');
      expect(door('192.168.1.9', { host: h }, hosts).kind).toBe(hostAllowed(h, hosts) ? 'login' : 'refuse');
    }),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(2000) },
  );
  expect(originAllowed(undefined, [])).toBe(true);
  expect(originAllowed('null', [])).toBe(false);
});

test('WEB_HOSTS: names and addresses, comma-separated; anything else is named in the configuration error', async () => {
  const { loadConfig, ConfigError } = await import('../config/index.js');
  const listed = loadConfig({ env: { WEB_HOSTS: 'pi.lan, 192.168.1.10,[fd00::2]' } }).config.web.hosts;
  expect(parseHostList(listed)).toEqual({ ok: true, hosts: ['pi.lan', '192.168.1.10', 'fd00::2'] });
  expect(loadConfig({ env: {} }).config.web.hosts).toBe('');
  let error: unknown;
  try {
    loadConfig({ env: { WEB_HOSTS: 'pi.lan,http://pi.lan:8080' } });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect(String((error as Error).message)).toMatch(/WEB_HOSTS[\s\S]*"http:\/\/pi\.lan:8080" is not a host name/);
});

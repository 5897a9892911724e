import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { closeAll, publishLoad as publish, type LoadOptions } from './support/load.js';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { createLogger } from '../shared/log.js';
import type { CliProcess } from './helpers/cli.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { rssMiB, startIngestProcess } from './helpers/ingest-process.js';
import { eventually, freePort } from './helpers/net.js';
import { startProxy } from './helpers/proxy.js';

// The load generator's DHT22 payload has four numeric fields (temperature, humidity, seq, sent).
const ROWS_PER_MESSAGE = 4;
const usingServer = Boolean(process.env.DATABASE_URL);

let t: TestDatabase;
let broker: RunningBroker;
let ingest: CliProcess | undefined;
/** Publishers still open; closed after each test, passed or failed. */
const publishers: MqttClient[] = [];
const publishLoad = (options: LoadOptions) =>
  publish({ ...options, onConnected: (clients) => publishers.push(...clients) });
beforeEach(async () => {
  t = await createTestDatabase();
  broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
});
afterEach(async () => {
  await closeAll(publishers.splice(0));
  ingest?.child.kill('SIGKILL');
  ingest = undefined;
  await broker.stop();
  await t.stop();
});

const tmp = () => mkdtempSync(join(tmpdir(), 'pimonitor-durability-'));
const counts = (prefix: string) =>
  t.db.one<{ rows: number; messages: number }>(
    "SELECT count(*)::int AS rows, count(DISTINCT (device, ts))::int AS messages FROM readings WHERE device LIKE $1 " +
      "|| '%'",
    [prefix],
  );
/** Waits for every message; on timeout, says how many arrived and what ingest logged, to tell loss from slowness. */
const allRowsOf = (prefix: string, messages: number, timeoutMs = 60_000) =>
  eventually(
    `${messages} messages of ${prefix}`,
    async () => ((await counts(prefix)).rows >= messages * ROWS_PER_MESSAGE ? true : undefined), timeoutMs,
  ).catch(async (err: Error) => {
    const have = await counts(prefix);
    const log = ingest
      ?.output()
      .split('\n')
      .filter((l) => /"level":(40|50|60)|replaying|subscribed|starting/.test(l))
      .slice(-15)
      .join('\n');
    throw new Error(`${err.message}: have ${have.messages} messages (${have.rows} rows); ingest said:\n${log}`);
  });
const stopGracefully = async (process: CliProcess) => {
  process.child.kill('SIGTERM');
  return process.exited;
};

// PGlite writes these rows several times slower than PostgreSQL: half the stream there, killed as early.
const KILL_MESSAGES = usingServer ? 20_000 : 10_000;
test(
  `kill -9 of ingest while ${KILL_MESSAGES.toLocaleString('en')} messages stream in from 10 publishers: every ` +
    `reading stored exactly once`,
  async () => {
    const dataDir = tmp();
    ingest = await startIngestProcess({ databaseUrl: t.url, mqttUrl: broker.url, dataDir });
    const load = publishLoad({ url: broker.url, publishers: 10, total: KILL_MESSAGES, devicePrefix: 'kill' });
    await eventually('ingest writing', async () => ((await counts('kill')).rows >= 4000 ? true : undefined));
    ingest.child.kill('SIGKILL');
    expect((await ingest.exited).signal).toBe('SIGKILL');
    ingest = await startIngestProcess({ databaseUrl: t.url, mqttUrl: broker.url, dataDir });
    const { acked, clients } = await load;
    expect(acked).toBe(KILL_MESSAGES);
    await allRowsOf('kill', KILL_MESSAGES, 150_000);
    expect(await counts('kill')).toEqual({ rows: KILL_MESSAGES * ROWS_PER_MESSAGE, messages: KILL_MESSAGES });
    expect(await t.db.one('SELECT count(*)::int AS n FROM rejected_messages')).toEqual({ n: 0 });
    expect(await stopGracefully(ingest)).toEqual({ code: 0, signal: null });
    await closeAll(clients);
  },
  240_000,
);

test(
  'the database away for 10 s mid-stream: nothing lost, the spool stays within its bound, memory stays flat',
  async () => {
    const target = new URL(t.url);
    const proxy = await startProxy(target.hostname, Number(target.port || 5432));
    const spoolMaxBytes = 256 * 1024;
    const httpPort = await freePort();
    ingest = await startIngestProcess({
      databaseUrl: proxy.url(t.url), mqttUrl: broker.url, dataDir: tmp(),
      env: { INGEST_SPOOL_MAX_BYTES: String(spoolMaxBytes), INGEST_HTTP_PORT: String(httpPort) },
    });
    const pid = ingest.child.pid!;
    const rss: number[] = [rssMiB(pid)];
    const sampler = setInterval(() => rss.push(rssMiB(pid)), 200);
    try {
      const load = publishLoad({
        url: broker.url, publishers: 10, total: 20_000, ratePerSecond: 1500, devicePrefix: 'outage',
      });
      await eventually('ingest writing', async () => ((await counts('outage')).rows > 0 ? true : undefined));
      const before = Math.max(...rss);
      proxy.cut();
      const backlog: number[] = [];
      const outageEnds = Date.now() + 10_000;
      while (Date.now() < outageEnds) {
        const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
        backlog.push(Number(/^pimonitor_ingest_spool_backlog_bytes (\d+)/m.exec(metrics)?.[1]));
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ ok: false, database: false, broker: true, subscribed: true });
      const duringOutage = Math.max(...rss);
      proxy.restore();

      const { clients } = await load;
      await allRowsOf('outage', 20_000);
      expect(await counts('outage')).toEqual({ rows: 80_000, messages: 20_000 });
      // The spool filled to its bound (one message may cross it), after which the broker held the rest.
      expect(Math.max(...backlog)).toBeGreaterThan(spoolMaxBytes * 0.8);
      expect(Math.max(...backlog)).toBeLessThan(spoolMaxBytes + 1024);
      // Memory: the outage adds no more than 40 MiB to what ingest used before it (stated in the README).
      expect(duringOutage - before).toBeLessThan(40);
      expect(Math.max(...rss)).toBeLessThan(250);
      expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(200);
      expect(await stopGracefully(ingest)).toEqual({ code: 0, signal: null });
      await closeAll(clients);
    } finally {
      clearInterval(sampler);
      await proxy.stop();
    }
  },
  120_000,
);

(usingServer ? test : test.skip)(
  "pg_terminate_backend of ingest's connections mid-batch: nothing lost or doubled",
  async () => {
    ingest = await startIngestProcess({ databaseUrl: t.url, mqttUrl: broker.url, dataDir: tmp(), });
    const load = publishLoad({
      url: broker.url, publishers: 10, total: 20_000, ratePerSecond: 4000, devicePrefix: 'term',
    });
    let terminated = 0;
    let done = false;
    const killer = (async () => {
      while (!done) {
        const rows = await t.db.any(
          "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'pimonitor-ingest' " +
            "AND datname = current_database()",
        );
        terminated += rows.filter((r: { ok: boolean }) => r.ok).length;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    const { clients } = await load;
    done = true;
    await killer;
    expect(terminated).toBeGreaterThan(3);
    await allRowsOf('term', 20_000);
    expect(await counts('term')).toEqual({ rows: 80_000, messages: 20_000 });
    expect(await stopGracefully(ingest)).toEqual({ code: 0, signal: null });
    await closeAll(clients);
  },
  120_000,
);

test('broker restart mid-stream: ingest reconnects, resubscribes and carries on by itself', async () => {
  ingest = await startIngestProcess({ databaseUrl: t.url, mqttUrl: broker.url, dataDir: tmp() });
  const pid = ingest.child.pid;
  const before = await publishLoad({ url: broker.url, publishers: 5, total: 5000, devicePrefix: 'before' });
  await allRowsOf('before', 5000);
  await closeAll(before.clients);

  // Restart the broker while publishers are sending.
  const port = broker.port;
  const during = publishLoad({
    url: broker.url, publishers: 5, total: 5000, ratePerSecond: 2000, devicePrefix: 'during',
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  await broker.stop();
  broker = await startBroker({ host: '127.0.0.1', port, log: createLogger('broker', 'silent') });
  await eventually('ingest resubscribed', async () =>
    ingest!.output().split('subscribed to the broker').length === 3 ? true : undefined,
  );
  await closeAll((await during).clients);

  const after = await publishLoad({ url: broker.url, publishers: 5, total: 5000, devicePrefix: 'after' });
  await allRowsOf('after', 5000);
  expect(await counts('before')).toEqual({ rows: 20_000, messages: 5000 });
  expect(await counts('after')).toEqual({ rows: 20_000, messages: 5000 });
  // Messages sent during the restart reach a broker that has, for a moment, no subscription: an
  // in-memory broker cannot keep them (a Redis-backed one does). None is doubled.
  const whileRestarting = await counts('during');
  expect(whileRestarting.rows).toBe(whileRestarting.messages * ROWS_PER_MESSAGE);
  expect(ingest.child.pid).toBe(pid);
  expect(ingest.child.exitCode).toBeNull();
  expect(await stopGracefully(ingest)).toEqual({ code: 0, signal: null });
  await closeAll(after.clients);
}, 120_000);

test(
  'SIGTERM while the database is away exits 0 within the stop timeout; the next start writes what was spooled',
  async () => {
    const target = new URL(t.url);
    const proxy = await startProxy(target.hostname, Number(target.port || 5432));
    const dataDir = tmp();
    const env = { INGEST_STOP_TIMEOUT_MS: '2000' };
    try {
      ingest = await startIngestProcess({ databaseUrl: proxy.url(t.url), mqttUrl: broker.url, dataDir, env });
      proxy.cut();
      const load = await publishLoad({ url: broker.url, publishers: 2, total: 500, devicePrefix: 'sigterm' });
      await eventually('spooled', async () => (ingest!.output().includes('writing a batch failed') ? true : undefined));
      const stoppedAt = Date.now();
      expect(await stopGracefully(ingest)).toEqual({ code: 0, signal: null });
      expect(Date.now() - stoppedAt).toBeLessThan(6000);
      expect(ingest.output()).toContain('stopped with messages still in the spool');
      proxy.restore();
      ingest = await startIngestProcess({ databaseUrl: proxy.url(t.url), mqttUrl: broker.url, dataDir, env });
      await allRowsOf('sigterm', 500);
      expect(await counts('sigterm')).toEqual({ rows: 2000, messages: 500 });
      expect(ingest.output()).toContain('replaying spooled messages');
      await closeAll(load.clients);
    } finally {
      await proxy.stop();
    }
  },
  60_000,
);

test(
  'a database that stops answering without closing (half-open): retries within seconds, /healthz 503 within a second,' +
    ' SIGTERM exits by its deadline, nothing lost',
  async () => {
    const target = new URL(t.url);
    const proxy = await startProxy(target.hostname, Number(target.port || 5432));
    const httpPort = await freePort();
    const dataDir = tmp();
    const stopTimeoutMs = 2000;
    const env = {
      INGEST_HTTP_PORT: String(httpPort), DATABASE_QUERY_TIMEOUT_MS: '2000', DATABASE_CONNECT_TIMEOUT_MS: '1000',
      INGEST_STOP_TIMEOUT_MS: String(stopTimeoutMs),
    };
    try {
      ingest = await startIngestProcess({ databaseUrl: proxy.url(t.url), mqttUrl: broker.url, dataDir, env });
      const first = await publishLoad({ url: broker.url, publishers: 2, total: 200, devicePrefix: 'halfopen' });
      await allRowsOf('halfopen', 200);
      await closeAll(first.clients);
      proxy.blackhole();
      const cutAt = Date.now();
      const second = await publishLoad({ url: broker.url, publishers: 2, total: 300, devicePrefix: 'halfopenb' });
      await eventually(
        'a failed write reported', async () => (ingest!.output().includes('writing a batch failed') ? true : undefined),
        15_000,
      );
      const failedAfterMs = Date.now() - cutAt;
      const asked = Date.now();
      const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
      const healthMs = Date.now() - asked;
      expect(health.status).toBe(503);
      expect(healthMs).toBeLessThan(1000);
      expect(failedAfterMs).toBeLessThan(10_000);
      const stoppedAt = Date.now();
      const exit = await stopGracefully(ingest);
      // On failure, what ingest said on its way out (a pool end waiting on the silent database was one cause).
      expect({ ...exit, output: exit.code === 0 ? '' : ingest.output().split('\n').slice(-20).join('\n') }).toEqual({
        code: 0, signal: null, output: '',
      });
      const stopMs = Date.now() - stoppedAt;
      if (stopMs >= stopTimeoutMs + 1000) console.log(ingest.output().split('\n').slice(-12).join('\n'));
      expect(stopMs).toBeLessThan(stopTimeoutMs + 1000);
      console.log(
        `half-open database: first failed write reported after ${failedAfterMs} ms, /healthz 503 in ${healthMs} ms, ` +
          `SIGTERM exit in ${stopMs} ms`,
      );
      proxy.restore();
      ingest = await startIngestProcess({ databaseUrl: proxy.url(t.url), mqttUrl: broker.url, dataDir, env });
      await allRowsOf('halfopen', 500);
      expect(await counts('halfopen')).toEqual({ rows: 2000, messages: 500 });
      await closeAll(second.clients);
    } finally {
      await proxy.stop();
    }
  },
  90_000,
);

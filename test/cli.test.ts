import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { connect, disconnect } from '../shared/db.js';
import { listMigrations } from '../shared/migrate.js';
import { runCli, startCli } from './helpers/cli.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually, freePort } from './helpers/net.js';

const usingServer = Boolean(process.env.DATABASE_URL);
const isListening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

describe('pimonitor up', () => {
  let serverDb: TestDatabase | undefined;
  beforeAll(async () => {
    if (usingServer) serverDb = await createTestDatabase();
  });
  afterAll(async () => serverDb?.stop());

  test(
    'runs the pipeline: a published reading and a simulated node land as rows; kill -9 leaves no child behind; ' +
      'SIGTERM exits 0',
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'pimonitor-up-'));
      const [mqttPort, pgPort] = [await freePort(), await freePort()];
      // A fixed dashboard port, as a user has (8080): the next `up` must get it back.
      const env: Record<string, string> = {
        DATA_DIR: dataDir, MQTT_PORT: String(mqttPort), PGLITE_PORT: String(pgPort), INGEST_FLUSH_INTERVAL_MS: '50',
        WEB_PORT: String(await freePort()),
      };
      if (serverDb) env.DATABASE_URL = serverDb.url;
      const up = startCli(['up'], env);
      await up.waitFor('subscribed to the broker');
      // With DATABASE_URL nothing embedded starts; without it psql's port serves the data.
      expect(await isListening(pgPort)).toBe(!usingServer);
      const dbUrl = serverDb?.url ?? `postgres://postgres@127.0.0.1:${pgPort}/postgres`;
      const db = connect(dbUrl, { poolSize: 1 });
      const node = startCli([
        'node', '--simulate', '--device', 'simnode', '--interval-ms', '100',
      ], { MQTT_URL: `mqtt://127.0.0.1:${mqttPort}` });
      try {
        const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`);
        await client.publishAsync('home/kitchen/dht22', '{"temperature":21.5,"humidity":40.2}', { qos: 1 });
        await client.publishAsync('home/kitchen/dht22', '{"humidity":130}', { qos: 1 });
        await client.endAsync();
        await eventually('the kitchen reading', async () =>
          (await db.one("SELECT count(*)::int AS n FROM readings WHERE device = 'kitchen'")).n === 2 ? true : undefined,
        );
        // The rejection may come in the batch after the reading's.
        expect(
          await eventually('the rejection', () =>
            db
              .oneOrNone("SELECT reason FROM rejected_messages WHERE topic = 'home/kitchen/dht22'")
              .then((r) => r ?? undefined),
          ),
        ).toEqual({ reason: 'humidity 130 out of range 0..100' });
        await eventually('simulated readings', async () =>
          (
            await db.one(
              "SELECT count(DISTINCT ts)::int AS n FROM readings WHERE device = 'simnode' AND sensor = 'dht22'",
            )
          ).n >= 3
            ? true
            : undefined,
        );
        const latest = await db.map(
          "SELECT metric, value FROM latest_readings WHERE device = 'simnode' ORDER BY metric", [],
          (r: { metric: string; value: number }) => r,
        );
        expect(latest.map((r) => r.metric)).toEqual(['humidity', 'temperature']);
        expect(latest[0]!.value).toBeGreaterThanOrEqual(0);
        expect(latest[0]!.value).toBeLessThanOrEqual(100);
        // The dashboard that `npm start` opens: its API shows the simulated node.
        const web = /"url":"(http:\/\/127\.0\.0\.1:\d+\/)","database"/.exec(
          await eventually('the web server', async () =>
            /"msg":"web server listening"/.test(up.output()) ? up.output() : undefined,
          ),
        )![1]!;
        expect((await fetch(web, { signal: AbortSignal.timeout(5000) })).headers.get('content-type')).toContain(
          'text/html',
        );
        await eventually('simnode on /api/latest', async () =>
          (
            (await (await fetch(`${web}api/latest`, { signal: AbortSignal.timeout(5000) })).json()) as {
              device: string;
            }[]
          ).some((r) => r.device === 'simnode')
            ? true
            : undefined,
        );
        await eventually('node announced online', async () =>
          (await db.oneOrNone("SELECT status FROM devices WHERE device = 'simnode'"))?.status === 'online'
            ? true
            : undefined,
        );

        node.child.kill('SIGTERM');
        expect(await node.exited).toEqual({ code: 0, signal: null });
        await eventually('node announced offline', async () =>
          (await db.one("SELECT status FROM devices WHERE device = 'simnode'")).status === 'offline' ? true : undefined,
        );
      } finally {
        node.child.kill('SIGKILL');
        await disconnect(db);
        up.child.kill(usingServer ? 'SIGTERM' : 'SIGKILL');
      }
      if (usingServer) {
        expect(await up.exited).toEqual({ code: 0, signal: null });
        expect(up.output()).toContain('"msg":"stopped"');
        return;
      }

      // Issue 26: `up` killed with kill -9 (the OOM killer) left its web server holding the dashboard's
      // port. Every child notices its IPC channel close and stops; the next `up` starts whole. Since issue
      // 30 the dashboard runs inside `up` (one Node process fewer); ingest is its own.
      const children = [...up.output().matchAll(/"pid":(\d+),"command":"(\w+)"/g)].map((m) => ({
        pid: Number(m[1]), command: m[2]!,
      }));
      expect(children.map((c) => c.command).sort()).toEqual(['ingest']);
      try {
        await eventually(
          'every child of the killed `up` to exit',
          async () => (children.every((c) => !existsSync(`/proc/${c.pid}`)) ? true : undefined), 8_000,
        );
      } finally {
        for (const c of children.filter((c) => existsSync(`/proc/${c.pid}`))) process.kill(c.pid, 'SIGKILL');
      }
      expect(up.output()).toContain('"signal":"parent gone","msg":"stopping"');

      // The embedded database persists under DATA_DIR: the next start sees the first one's rows, and its
      // dashboard answers.
      const again = startCli(['up'], env);
      await again.waitFor('subscribed to the broker');
      const db2 = connect(dbUrl, { poolSize: 1 });
      try {
        expect(await db2.one("SELECT count(*)::int AS n FROM readings WHERE device = 'kitchen'")).toEqual({ n: 2 });
        await again.waitFor('"msg":"web server listening"');
        const page = await fetch(`http://127.0.0.1:${env.WEB_PORT}/`, { signal: AbortSignal.timeout(5000) });
        expect([page.status, page.headers.get('content-type')]).toEqual([200, expect.stringContaining('text/html')]);
      } finally {
        await disconnect(db2);
        again.child.kill('SIGTERM');
      }
      expect(await again.exited).toEqual({ code: 0, signal: null });
      expect(again.output()).toContain('"msg":"stopped"');
      expect(again.output()).not.toContain('EADDRINUSE');
    },
    60_000,
  );

  test('a busy port fails at start, naming the port and the setting to change', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '0.0.0.0', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const dataDir = mkdtempSync(join(tmpdir(), 'pimonitor-busy-'));
      const { code, output } = await runCli(['up'], {
        DATA_DIR: dataDir, MQTT_PORT: String(port), PGLITE_PORT: String(await freePort()),
      });
      expect(code).toBe(1);
      expect(output).toContain(
        `pimonitor: port ${port} on 0.0.0.0 is already in use; set MQTT_PORT (broker.port) to a free port`,
      );
      const pg = await runCli(['up'], {
        DATA_DIR: dataDir, MQTT_PORT: String(await freePort()), PGLITE_PORT: String(port),
      });
      expect(pg.code).toBe(1);
      expect(pg.output).toContain(
        `port ${port} on 127.0.0.1 is already in use; set PGLITE_PORT (database.embedded.port) to a free port`,
      );
    } finally {
      blocker.close();
    }
  }, 30_000);
});

describe('configuration on the command line', () => {
  test('bad settings exit 2 and name every key, its source and the expected format', async () => {
    const { code, output } = await runCli(['up'], { MQTT_PORT: '70000', INGEST_BATCH_MAX_ROWS: 'lots' });
    expect(code).toBe(2);
    expect(output).toContain('pimonitor: invalid configuration (2 problems):');
    expect(output).toContain('broker.port (env MQTT_PORT): 70000 is more than 65535: port numbers are 16 bits');
    expect(output).toContain(
      'ingest.batchMaxRows (env INGEST_BATCH_MAX_ROWS): "lots" is not a whole number (1-100000)',
    );
  });

  test(
    'two listeners on one port exit 2 before anything starts, naming both settings (issue 23: MQTT_WS restarted the ' +
      'dashboard forever)',
    async () => {
      // runCli sets WEB_PORT=0 (a free port); 8080 is its default.
      const { code, output } = await runCli(['up'], {
        MQTT_WS: 'true', MQTT_WS_PORT: '8080', WEB_PORT: '8080',
        DATA_DIR: mkdtempSync(join(tmpdir(), 'pimonitor-ports-')),
      });
      expect(code).toBe(2);
      expect(output).toContain(
        "web.port (env WEB_PORT): port 8080 on 127.0.0.1 is also broker.websocket.port's (env MQTT_WS_PORT, on " +
          "0.0.0.0): two listeners cannot share a port; change WEB_PORT or MQTT_WS_PORT",
      );
    },
  );

  test(
    'retention tiers that do not nest exit 2 before anything starts, naming the settings (issue 26: a late hour was ' +
      'rebuilt from one 5-minute bucket)',
    async () => {
      const { code, output } = await runCli(['up'], {
        RETENTION_RAW_DAYS: '90', RETENTION_5M_DAYS: '30', DATA_DIR: mkdtempSync(join(tmpdir(), 'pimonitor-tiers-')),
      });
      expect(code).toBe(2);
      expect(output).toContain(
        'storage.retention5mDays (env RETENTION_5M_DAYS): keeps 5-minute rollups 30 days, less long than ' +
          'storage.retentionRawDays (env RETENTION_RAW_DAYS) keeps the raw readings they are built from (90 days)',
      );
      expect(output).toContain('set RETENTION_5M_DAYS to 90 or more, or 0 (forever)');
    },
  );

  test('`config` prints the effective configuration with secrets redacted', async () => {
    const { code, output } = await runCli(['config'], {
      DATABASE_URL: 'postgres://pi:hunter2@db.lan/pimonitor', MQTT_PORT: '1884',
    });
    expect(code).toBe(0);
    const printed = JSON.parse(output);
    expect(printed.database.url).toBe('postgres://pi:***@db.lan/pimonitor');
    expect(printed.broker.port).toBe(1884);
    expect(output).not.toContain('hunter2');
    const explained = await runCli(['config', '--explain'], { MQTT_PORT: '1884' });
    expect(explained.output).toContain('broker.port = 1884   (from environment; variable MQTT_PORT)');
    expect(explained.output).toContain(
      'ingest.flushIntervalMs = 250   (from default; variable INGEST_FLUSH_INTERVAL_MS)',
    );
  });

  test('`node` without sensors says how to get some, and exits 1', async () => {
    const { code, output } = await runCli(['node'], { MQTT_URL: 'mqtt://127.0.0.1:1' });
    expect(code).toBe(1);
    expect(output).toContain('pimonitor: no sensors configured: list them in node.sensors');
  });

  test('`migrate` applies the schema once and reports it up to date after', async () => {
    const t = await createTestDatabase();
    try {
      const first = await runCli(['migrate'], { DATABASE_URL: t.url });
      expect(first.code).toBe(0);
      expect(first.output).toContain('applied 001_initial.sql');
      const second = await runCli(['migrate'], { DATABASE_URL: t.url });
      expect(second.output).toContain(`schema version ${listMigrations().length} (already up to date)`);
    } finally {
      await t.stop();
    }
  });
});

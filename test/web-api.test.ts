import fc from 'fast-check';
import mqtt from 'mqtt';
import { addAccount } from '../broker/accounts.js';
import { startBroker } from '../broker/broker.js';
import { encodeReading } from '../shared/contract.js';
import { parseHistoryQuery, tierFor } from '../web/params.js';
import { WebServer } from '../web/server.js';
import { startWebStack } from './helpers/web.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { DAY_FROM, DAY_TO, seedHouse } from './helpers/report-data.js';

const FUZZ = { seed: 20261125, numRuns: Number(process.env.FUZZ_RUNS ?? 300) };

let t: TestDatabase;
let broker: Awaited<ReturnType<typeof startBroker>>;
let stack: Awaited<ReturnType<typeof startWebStack>>;
let base: string;

beforeAll(async () => {
  t = await createMigratedTestDatabase();
  await seedHouse(t.db);
  await t.db.none(`INSERT INTO rejected_messages (received_at, topic, payload, payload_bytes, reason, code)
    VALUES (now(), 'home/attic/dht22', '\\x7b2274223a0131', 6, 'payload is not JSON', 'json')`);
  stack = await startWebStack(t.db, () => Date.parse('2026-03-30T05:00:00Z'));
  ({ broker, base } = stack);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await t?.stop();
});

const get = async (path: string, init: RequestInit = {}) => {
  const res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, headers: res.headers, body: await res.json() as any };
};

test('/api/latest and /api/devices answer from the catalogue, with status', async () => {
  const latest = await get('/api/latest');
  expect(latest.status).toBe(200);
  const keys = latest.body.map((r: { device: string; metric: string }) => `${r.device}/${r.metric}`);
  expect(keys).toEqual(['attic/temperature', 'cellar/temperature', 'kitchen/humidity', 'kitchen/temperature']);
  expect(latest.body[0]).toMatchObject({ device: 'attic', sensor: 'dht22', unit: '°C', status: 'online' });
  const devices = await get('/api/devices');
  type DeviceRow = { device: string; sensors: string[]; series: number };
  const sensors = devices.body.map((d: DeviceRow) => [d.device, d.sensors, d.series]);
  expect(sensors).toEqual([['attic', ['dht22'], 1], ['cellar', ['dht22'], 1], ['kitchen', ['dht22'], 2]]);
});

test('/api/history reads the tier that fits the range, column by column, with the same numbers as SQL', async () => {
  const range = `from=${DAY_FROM.toISOString()}&to=${DAY_TO.toISOString()}`;
  const day = await get(`/api/history?device=kitchen&sensor=dht22&metric=temperature&${range}`);
  expect(day.status).toBe(200);
  expect(day.body.tier).toBe('5m');
  const [s] = day.body.series;
  expect(s.metric).toBe('temperature');
  expect(s.t.length).toBe(s.avg.length);
  const sql = await t.db.one<{ n: number; first: number }>(
    `SELECT count(*)::int AS n, (array_agg(avg ORDER BY bucket))[1] AS first FROM readings_5m
      WHERE device = 'kitchen' AND metric = 'temperature' AND bucket >= $1 AND bucket < $2`,
    [DAY_FROM, DAY_TO],
  );
  expect([s.t.length, s.avg[0]]).toEqual([sql.n, sql.first]);
  expect((await get('/api/history?device=kitchen&sensor=dht22&from=-1w')).body.tier).toBe('1h');
  expect((await get('/api/history?device=kitchen&sensor=dht22&from=-52w')).body.tier).toBe('1d');
  const raw = await get('/api/history?device=kitchen&sensor=dht22&from=2026-03-29T08:00:00Z&to=2026-03-29T09:00:00Z');
  expect(raw.body.tier).toBe('raw');
  const lengths = raw.body.series.map((x: { metric: string; t: number[] }) => [x.metric, x.t.length]);
  expect(lengths).toEqual([['humidity', 60], ['temperature', 60]]);
});

test(
  '/api/history.csv is what `pimonitor export` writes for the same range and tier; ' +
    '/api/devices has values, disk and read statistics',
  async () => {
    const range = `from=${DAY_FROM.toISOString()}&to=${DAY_TO.toISOString()}`;
    const res = await fetch(`${base}/api/history.csv?device=kitchen&sensor=dht22&metric=humidity&${range}`, {
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="kitchen-dht22-humidity-2026-03-28.csv"');
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('time,device,sensor,metric,unit,count,avg,min,max');
    const buckets = await t.db.one<{ n: number }>(
      `SELECT count(*)::int AS n FROM readings_5m
        WHERE device = 'kitchen' AND metric = 'humidity' AND bucket >= $1 AND bucket < $2`,
      [DAY_FROM, DAY_TO],
    );
    expect(lines.length - 1).toBe(buckets.n);
    expect(lines[1]).toMatch(/^2026-03-28T23:00:00Z,kitchen,dht22,humidity,%,5,/);

    const publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const lastError = { kind: 'timeout', message: 'no answer', at: null };
    const diag = { attempts: 10, readings: 9, failures: { timeout: 1 }, lastError };
    await publisher.publishAsync('home/kitchen/dht22/diag', JSON.stringify(diag), { qos: 1, retain: true });
    await publisher.endAsync();
    const kitchen = await (async () => {
      for (let i = 0; i < 50; i++) {
        const d = (await get('/api/devices')).body.find((x: { device: string }) => x.device === 'kitchen');
        if (d.diag.dht22) return d;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('no diag on /api/devices');
    })();
    expect(kitchen).toMatchObject({
      series: 2,
      values: 2 * 1333 + 2 * 1440,
      diag: {
        dht22: {
          attempts: 10,
          readings: 9,
          failures: { timeout: 1 },
          lastError: { kind: 'timeout', message: 'no answer', at: null },
        },
      },
    });
    expect(kitchen.bytes).toBeGreaterThan(0);
  },
);

test('bad parameters get every problem named; other methods and pages are refused', async () => {
  const bad = await get('/api/history?device=a/b&from=yesterday-ish&to=-1d');
  expect(bad.status).toBe(400);
  expect(bad.body.problems).toEqual([
    expect.stringMatching(/^device: /),
    expect.stringMatching(/^sensor: /),
    'from: "yesterday-ish" is not a time (ISO 8601, milliseconds, or -7d, -12h, -30m)',
  ]);
  expect((await get('/api/latest', { method: 'POST' })).status).toBe(405);
  expect((await get('/nothing-here')).status).toBe(404);
});

test('alerts, rejected messages (payload made safe to show) and security headers', async () => {
  const alerts = await get('/api/alerts');
  expect(alerts.body.events.map((e: { kind: string }) => e.kind)).toEqual(['resolved', 'fired', 'fired']);
  // Old rows (no facts) in words by their message; reason null.
  expect(alerts.body.events[0]).toMatchObject({
    kind: 'resolved',
    text: 'resolved: attic/dht22 temperature back to 29.1 °C',
    reason: null,
    pastEpisode: false,
  });
  const rejected = await get('/api/rejected');
  const rejectedRow = { topic: 'home/attic/dht22', code: 'json', reason: 'payload is not JSON', bytes: 6 };
  expect(rejected.body[0]).toMatchObject(rejectedRow);
  expect(rejected.body[0].payload).not.toMatch(/[\u0000-\u001f]/);
  expect(alerts.headers.get('content-security-policy')).toContain("default-src 'self'");
  expect(alerts.headers.get('x-content-type-options')).toBe('nosniff');
  expect(alerts.headers.get('x-frame-options')).toBe('DENY');
});

test(
  '/api/alerts words events with facts in the units and zone asked for, with the reason; bad ones are named',
  async () => {
    await t.db.none(`INSERT INTO alert_events (at, kind, rule, device, sensor, metric, severity, value, message,
        started_at, fired_at, reason, condition, threshold_hi, clear_hi, unit) VALUES
      ('2026-03-30T04:00:00Z', 'resolved', 'attic-hot', 'attic', 'dht22', 'temperature', 'critical', 31, 'stored words',
        '2026-03-30T01:00:00Z', '2026-03-30T01:05:00Z', 'rule removed', 'above', 30, 30, '°C')`);
    const f = await get('/api/alerts?limit=1&temperatureUnit=F&tz=Europe/Berlin');
    expect(f.body.events).toEqual([
      expect.objectContaining({
        kind: 'resolved',
        reason: 'rule removed',
        message: 'stored words',
        text: 'attic/dht22 temperature: resolved (rule removed) after 3 h, last 87.8 °F',
      }),
    ]);
    const bad = await get('/api/alerts?temperatureUnit=K&tz=Moon/Base');
    expect(bad.status).toBe(400);
    expect(bad.body.problems).toEqual([
      'temperatureUnit: must be C or F (was "K")',
      'tz: "Moon/Base" is not a time zone; use an IANA name such as Europe/Berlin or UTC',
    ]);
    await t.db.none("DELETE FROM alert_events WHERE message = 'stored words'");
  },
);

test('a reading published over MQTT reaches an open event stream within 2 s', async () => {
  const controller = new AbortController();
  const res = await fetch(`${base}/api/events`, { signal: controller.signal });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const reader = res.body!.getReader();
  const publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  try {
    let text = '';
    const started = Date.now();
    // Published until seen: the server's subscription may still be on its way when the stream opens.
    const reading = () => encodeReading({ temperature: 12.5 }, new Date('2026-03-30T04:59:00Z'));
    const timer = setInterval(() => void publisher.publishAsync('home/shed/dht22', reading()), 200);
    try {
      while (!text.includes('event: reading')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
      }
    } finally {
      clearInterval(timer);
    }
    expect(Date.now() - started).toBeLessThan(2000);
    const data = JSON.parse(/event: reading\ndata: (.*)\n/.exec(text)![1]!);
    expect(data).toEqual({
      type: 'reading',
      device: 'shed',
      sensor: 'dht22',
      ts: '2026-03-30T04:59:00.000Z',
      values: { temperature: 12.5 },
    });
  } finally {
    controller.abort();
    await publisher.endAsync();
  }
});

test('from another machine (here: through a proxy) every request needs a reader account', async () => {
  const password = await addAccount(t.db, 'viewer', 'reader');
  const devicePassword = await addAccount(t.db, 'shed', 'device');
  const lan = new WebServer({ db: t.db, host: '0.0.0.0', port: 0, failureDelayMs: 50 });
  await lan.start();
  try {
    // From loopback straight it would be open (test/web-doors.test.ts): the proxy's header makes it another
    // machine's.
    const at = (auth?: string) =>
      fetch(`http://127.0.0.1:${lan.port}/api/latest`, {
        headers: {
          'x-forwarded-for': '192.168.1.50',
          ...(auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}),
        },
        signal: AbortSignal.timeout(10_000),
      });
    const anonymous = await at();
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic realm="pimonitor"');
    expect((await at('viewer:wrong')).status).toBe(401);
    expect((await at(`shed:${devicePassword}`)).status).toBe(401);
    expect((await at(`viewer:${password}`)).status).toBe(200);
  } finally {
    await lan.stop();
  }
});

test('history parameters from any query string: a query or named problems, never an exception', () => {
  const value = fc.oneof(
    fc.string(),
    fc.constantFrom('-7d', '-0m', '2026-03-29T00:00:00Z', '0', '99999999999999', 'kitchen', 'dht22', 'temperature'),
  );
  const key = fc.constantFrom('device', 'sensor', 'metric', 'from', 'to', 'x');
  fc.assert(
    fc.property(fc.dictionary(key, value), (params) => {
      const parsed = parseHistoryQuery(new URLSearchParams(params), new Date('2026-03-30T05:00:00Z'));
      if (parsed.ok) {
        expect(parsed.value.from.getTime()).toBeLessThan(parsed.value.to.getTime());
        expect(['raw', '5m', '1h', '1d']).toContain(tierFor(parsed.value.from, parsed.value.to));
      } else {
        expect(parsed.problems.length).toBeGreaterThan(0);
      }
    }),
    FUZZ,
  );
});

test('`pimonitor web` as a user runs it: listens, answers /healthz and the API, stops on SIGTERM', async () => {
  const { startCli } = await import('./helpers/cli.js');
  const cli = startCli(['web', '--port', '0'], { DATABASE_URL: t.url, MQTT_URL: broker.url });
  try {
    await cli.waitFor('web server listening', 30_000);
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+\/)"/.exec(cli.output())![1]!;
    const health = await fetch(`${url}healthz`, { signal: AbortSignal.timeout(5000) });
    await expect(health.json()).resolves.toEqual({ ok: true, database: true, broker: true });
    expect((await fetch(`${url}api/devices`, { signal: AbortSignal.timeout(5000) })).status).toBe(200);
  } finally {
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
  }
}, 60_000);

test('any request line the server can be sent is answered with a status, never a dropped connection', async () => {
  const { request } = await import('node:http');
  const port = new URL(base).port;
  const send = (path: string) => new Promise<number>((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path, method: 'GET', timeout: 5000 };
    const req = request(options, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
    req.on('error', reject);
    req.end();
  });
  const paths = fc.oneof(
    fc.webPath(),
    fc.string({ maxLength: 80 }).map((s) => `/api/history?${encodeURI(s)}`),
    fc.constantFrom('/api/history.csv?device=x', '/api/../api/latest', '//api/latest', '/api/latest?limit=-1'),
  );
  await fc.assert(
    fc.asyncProperty(paths, async (path) => {
      const status = await send(path.startsWith('/') ? path : `/${path}`);
      expect([200, 204, 400, 404]).toContain(status);
    }),
    { ...FUZZ, numRuns: Math.min(FUZZ.numRuns, 200) },
  );
});

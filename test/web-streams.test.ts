import mqtt from 'mqtt';
import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { addAccount } from '../broker/accounts.js';
import { startBroker } from '../broker/broker.js';
import { createLogger } from '../shared/log.js';
import { MAX_DIAG_DEVICES, MAX_DIAG_SENSORS_PER_DEVICE } from '../web/live.js';
import { MAX_STREAMS, MAX_STREAMS_PER_CLIENT, streamToDrop } from '../web/streams.js';
import { startWebStack } from './helpers/web.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually } from './helpers/net.js';
import { writeBatch } from './helpers/storage.js';

// Issue 23, items 4 (the web server's diag cap), 5 (event streams, WebSocket Origin) and 7 (CSV), over a
// real broker and web server.

let t: TestDatabase;
let stack: Awaited<ReturnType<typeof startWebStack>>;
let viewer: string;
const live = () => stack.live;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

beforeAll(async () => {
  t = await createMigratedTestDatabase();
  viewer = await addAccount(t.db, 'viewer', 'reader');
  stack = await startWebStack(t.db);
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await t?.stop();
});

/** Opens /api/events with these headers and leaves it unread; resolves once the stream's head arrived. */
function openStream(headers: Record<string, string> = {}) {
  return new Promise<{ res: IncomingMessage; closed: Promise<void> }>((resolve, reject) => {
    const options = { host: '127.0.0.1', port: stack.server.port, path: '/api/events', headers, agent: false };
    const req = request(options, (res) => {
      const closed = new Promise<void>((done) => res.socket.once('close', () => done()));
      resolve({ res, closed });
    });
    req.on('error', reject);
    req.end();
  });
}
const isClosed = (p: Promise<void>) =>
  Promise.race([p.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);

test(
  'streamToDrop: a client at its cap gives up its own oldest; ' +
    'when all are taken, the client holding most gives up its oldest',
  () => {
    const open = (...clients: string[]) => clients.map((client, id) => ({ id, client }));
    expect(streamToDrop(open('a', 'b'), 'c', { total: 3, perClient: 2 })).toBeNull();
    expect(streamToDrop(open('a', 'b', 'a'), 'a', { total: 9, perClient: 2 })).toBe(0);
    expect(streamToDrop(open('b', 'a', 'a'), 'c', { total: 3, perClient: 2 })).toBe(1);
    expect(streamToDrop(open('a', 'b', 'c'), 'd', { total: 3, perClient: 2 })).toBe(0);
  },
);

test(
  `${MAX_STREAMS} idle event streams do not lock the dashboard out: its page gets a stream, the oldest idle one goes`,
  async () => {
    const idle = [];
    for (let i = 0; i < MAX_STREAMS; i++) {
      const headers = { 'x-forwarded-for': `10.3.${i >> 8}.${i & 255}`, authorization: basic('viewer', viewer) };
      idle.push(await openStream(headers));
    }
    expect(idle.every((s) => s.res.statusCode === 200)).toBe(true);
    expect(live().streams.size).toBe(MAX_STREAMS);

    const page = new AbortController();
    const res = await fetch(`${stack.base}/api/events`, { signal: page.signal });
    expect(res.status).toBe(200);
    expect(live().streams.size).toBe(MAX_STREAMS);
    await idle[0]!.closed;
    expect(await Promise.all(idle.slice(1).map((s) => isClosed(s.closed)))).toEqual(idle.slice(1).map(() => false));
    // And it is live: a reading reaches it.
    const publisher = await mqtt.connectAsync(stack.broker.url, { reconnectPeriod: 0 });
    const reader = res.body!.getReader();
    let text = '';
    const reading = () => JSON.stringify({ temperature: 12.5, ts: new Date().toISOString() });
    const timer = setInterval(() => void publisher.publishAsync('home/shed/dht22', reading()), 100);
    try {
      while (!text.includes('event: reading')) text += Buffer.from((await reader.read()).value!).toString();
    } finally {
      clearInterval(timer);
      page.abort();
      await publisher.endAsync();
      for (const s of idle) s.res.destroy();
    }
    await eventually('the streams closed', async () => (live().streams.size === 0 ? true : undefined));
  },
);

test(`one address keeps at most ${MAX_STREAMS_PER_CLIENT} streams: its newest, its oldest are closed`, async () => {
  const mine = [];
  for (let i = 0; i < MAX_STREAMS_PER_CLIENT + 4; i++) {
    mine.push(await openStream({ 'x-forwarded-for': '10.4.0.1', authorization: basic('viewer', viewer) }));
  }
  await Promise.all(mine.slice(0, 4).map((s) => s.closed));
  expect(await Promise.all(mine.slice(4).map((s) => isClosed(s.closed)))).toEqual(mine.slice(4).map(() => false));
  expect(live().streams.size).toBe(MAX_STREAMS_PER_CLIENT);
  for (const s of mine) s.res.destroy();
  await eventually('the streams closed', async () => (live().streams.size === 0 ? true : undefined));
});

test('a reader that stops reading is dropped; one that reads keeps its stream', async () => {
  const stalled = connect(stack.server.port, '127.0.0.1');
  await new Promise((resolve) => stalled.once('connect', resolve));
  const stalledClosed = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
  stalled.write('GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  stalled.pause(); // reads nothing, ever
  await eventually('the stalled stream open', async () => (live().streams.size === 1 ? true : undefined));
  const healthy = new AbortController();
  const res = await fetch(`${stack.base}/api/events`, { signal: healthy.signal });
  let healthyBytes = 0;
  const reading = (async () => {
    const reader = res.body!.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) healthyBytes += r.value.length;
  })().catch(() => {});

  // Readings with 60 long metric names: a frame of about 4 KB each, until the server gives up on the reader.
  const metrics = Object.fromEntries(
    Array.from({ length: 60 }, (_, i) => [`m${String(i).padStart(2, '0')}${'x'.repeat(55)}`, i]),
  );
  const publisher = await mqtt.connectAsync(stack.broker.url, { reconnectPeriod: 0 });
  let published = 0;
  try {
    while (live().streams.stats.droppedSlow === 0 && published < 20_000) {
      expect(publisher.connected).toBe(true);
      await Promise.all(
        Array.from({ length: 50 }, () => {
          const frame = JSON.stringify({ ...metrics, ts: new Date().toISOString() });
          return publisher.publishAsync('home/flood/s', frame, { qos: 1 });
        }),
      );
      published += 50;
      // Paced under the broker's publish rate limit (2,000 a second), which would disconnect us.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(live().streams.stats.droppedSlow).toBe(1);
    expect(live().streams.size).toBe(1); // the healthy reader is still there
    stalled.resume(); // reading again, it finds the connection closed by the server
    await stalledClosed;
    console.log(
      `a stalled reader was dropped after ${published} frames of about 4 KB; ` +
        `the reading one got ${(healthyBytes / 1e6).toFixed(1)} MB meanwhile`,
    );
  } finally {
    healthy.abort();
    await reading;
    stalled.destroy();
    await publisher.endAsync();
  }
}, 120_000);

test(
  `diag is kept for at most ${MAX_DIAG_SENSORS_PER_DEVICE} sensors per device and ${MAX_DIAG_DEVICES} devices; ` +
    'the rest is counted',
  async () => {
    await writeBatch(t.db, [{ device: 'kitchen', ts: new Date(), value: 21 }]);
    const before = live().diagDropped;
    const events: string[] = [];
    live().on('diagDropped', (d) => events.push(d.reason));
    const publisher = await mqtt.connectAsync(stack.broker.url, { reconnectPeriod: 0 });
    const diag = JSON.stringify({ attempts: 10, readings: 9 });
    try {
      for (let i = 0; i < MAX_DIAG_SENSORS_PER_DEVICE + 36; i++) {
        await publisher.publishAsync(`home/kitchen/s${i}/diag`, diag, { qos: 1, retain: true });
      }
      for (let i = 0; i < MAX_DIAG_DEVICES + 44; i++) {
        await publisher.publishAsync(`home/d${i}/s/diag`, diag, { qos: 1, retain: true });
      }
      await eventually('every diag message handled', async () =>
        live().diagDropped - before === 36 + 45 ? true : undefined,
      );
      const devices = await fetch(`${stack.base}/api/devices`);
      const kitchen = (await devices.json()) as { device: string; diag: Record<string, unknown> }[];
      const kitchenDiag = kitchen.find((d) => d.device === 'kitchen')!.diag;
      expect(Object.keys(kitchenDiag)).toHaveLength(MAX_DIAG_SENSORS_PER_DEVICE);
      expect(live().diagnostics(`d${MAX_DIAG_DEVICES - 2}`)).toHaveProperty('s');
      expect(live().diagnostics(`d${MAX_DIAG_DEVICES - 1}`)).toEqual({});
      const dropped = [events.filter((r) => r === 'sensors').length, events.filter((r) => r === 'devices').length];
      expect(dropped).toEqual([36, 45]);
      // Counted where people look: the dashboard's /metrics.
      const metrics = await (await fetch(`${stack.base}/metrics`)).text();
      expect(Number(/^pimonitor_web_diag_dropped_total (\d+)$/m.exec(metrics)?.[1])).toBe(live().diagDropped);
      expect(metrics).toMatch(/^pimonitor_web_event_streams_opened_total \d+$/m);
      // A sensor already kept is still updated, and cleared by an empty retained message.
      const updated = JSON.stringify({ attempts: 20, readings: 20 });
      await publisher.publishAsync('home/kitchen/s0/diag', updated, { qos: 1, retain: true });
      await eventually('s0 updated', async () =>
        (live().diagnostics('kitchen').s0 as { attempts: number }).attempts === 20 ? true : undefined,
      );
    } finally {
      await publisher.endAsync();
    }
  },
);

test('a sensor named -A1-B1 is a text cell in /api/history.csv, and a negative value is still a number', async () => {
  const ts = new Date(Date.now() - 60_000);
  await writeBatch(t.db, [{ device: 'kitchen', sensor: '-A1-B1', ts, value: -3.5 }]);
  const from = new Date(ts.getTime() - 60_000).toISOString();
  const res = await fetch(`${stack.base}/api/history.csv?device=kitchen&sensor=-A1-B1&from=${from}`);
  const lines = (await res.text()).trim().split('\r\n');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toMatch(/^[^,]+,kitchen,"'-A1-B1",temperature,[^,]*,-3\.5$/);
});

test(
  'the MQTT WebSocket listener refuses a browser page of another site (Origin), ' +
    'and takes loopback, WEB_HOSTS and non-browsers',
  async () => {
    const broker = await startBroker({
      host: '127.0.0.1',
      port: 0,
      log: createLogger('broker', 'silent'),
      websocket: { host: '127.0.0.1', port: 0, allowedHosts: ['pi.lan'] },
    });
    const url = `ws://127.0.0.1:${broker.websocketPort}`;
    const attempt = (origin?: string) => new Promise<number>((resolve) => {
      const ws = new WebSocket(url, 'mqtt', origin ? { origin } : {});
      ws.once('open', () => (ws.close(), resolve(101)));
      ws.once('unexpected-response', (_req, res) => (res.resume(), resolve(res.statusCode ?? 0)));
      ws.once('error', () => resolve(-1));
    });
    try {
      expect(await attempt('http://evil.example')).toBe(403);
      expect(await attempt('https://pi.lan.evil.example')).toBe(403);
      expect(await attempt('null')).toBe(403);
      expect(await attempt('http://pi.lan:8080')).toBe(101);
      expect(await attempt('http://localhost:3000')).toBe(101);
      expect(await attempt()).toBe(101);
      const client = await mqtt.connectAsync(url, {
        reconnectPeriod: 0,
        wsOptions: { headers: { origin: 'http://127.0.0.1:8080' } },
      });
      await client.endAsync();
      const refused = mqtt.connect(url, {
        reconnectPeriod: 0,
        connectTimeout: 5000,
        wsOptions: { headers: { origin: 'http://evil.example' } },
      });
      let connected = false;
      refused.on('connect', () => (connected = true));
      refused.on('error', () => {});
      await new Promise<void>((resolve) => refused.once('close', () => resolve()));
      expect(connected).toBe(false);
      refused.end(true);
    } finally {
      await broker.stop();
    }
  },
);

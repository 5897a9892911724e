import mqtt from 'mqtt';
import { Notifier } from '../alerts/notifier.js';
import { parseRoutes, type Route } from '../alerts/routes.js';
import { parseRules, type Rule } from '../alerts/rules.js';
import { AlertsWorker } from '../alerts/worker.js';
import { useAlertsRig } from './helpers/alerts-rig.js';
import { eventually } from './helpers/net.js';
import { parse } from './helpers/parsed.js';

// Issue 24, item 2: one contract for notifications, per route. A resolution goes exactly where a
// firing went, whatever inhibition (the device offline) or restarts happen between them; an alert
// that fired while its device was offline is notified when it is back, if it still fires. Real
// broker, real database (PGlite, or PostgreSQL with DATABASE_URL), a webhook receiver and an MQTT
// route; an injected clock, the notifier's rounds run by the test (sendDue), nothing sleeps.

type Hook = { alerts: Array<{ status: string; labels: Record<string, string>; startsAt: string; endsAt: string }> };
const rig = useAlertsRig<Hook>();
const { hooks } = rig;

const MIN = 60_000;
let now = Date.UTC(2026, 10, 23, 9);
const clock = () => now;
const hookUrl = (path: string) => rig.hookUrl(path);
const routes = (): Route[] => parse(parseRoutes([
  { name: 'hook', type: 'webhook', url: hookUrl('/'), groupWait: 0, repeatInterval: '1h' },
  { name: 'ha', type: 'mqtt', groupWait: 0, repeatInterval: '1h' },
  // Quiet from 11:00 to 13:00 UTC: only the rule `night` goes here.
  { name: 'night', type: 'webhook', url: hookUrl('/night'), groupWait: 0, quietHours: { from: '11:00', to: '13:00' } },
]));
const rules: Rule[] = parse(parseRules([
  // Stays firing 5 minutes after the reading drops: it resolves on the worker's timer.
  { name: 'hot', type: 'threshold', select: '+/+/temperature', above: 30, keepFiringFor: '5m', routes: ['hook', 'ha'] },
  { name: 'down', type: 'offline', select: '+', routes: ['ha'] },
  { name: 'damp', type: 'threshold', select: '+/+/humidity', above: 70, routes: ['night'] },
]));

/** The worker and notifier of one run of `pimonitor alerts`. */
async function startAlerts(clientId: string) {
  const worker = new AlertsWorker(rig.t.db, {
    rules, routes: routes(), tickMs: 20, now: clock,
    connect: () => mqtt.connect(rig.broker.url, { clientId, clean: false }),
  });
  const notifier = new Notifier(rig.t.db, {
    rules, routes: routes(), pollMs: 20, maxAttempts: 5, now: clock,
    transports: {
      timeoutMs: 5000,
      publish: async (topic, payload, retain) =>
        void (await rig.publisher.publishAsync(topic, payload, { qos: 1, retain })),
    },
  });
  const handled = new Map<string, number>();
  worker.on('handled', ({ topic }) => handled.set(topic, (handled.get(topic) ?? 0) + 1));
  const waitHandled = (topic: string, count: number) =>
    eventually(`${topic} handled`, async () => ((handled.get(topic) ?? 0) >= count ? true : undefined));
  await worker.start();
  /** Publishes a message and waits until the worker has evaluated it. */
  const send = async (topic: string, payload: string, retain = false) => {
    const before = handled.get(topic) ?? 0;
    await rig.node.publishAsync(topic, payload, { qos: 1, retain });
    await waitHandled(topic, before + 1);
  };
  return {
    worker, notifier, send, waitHandled,
    read: (device: string, values: Record<string, number>) => send(`home/${device}/dht22`, JSON.stringify(values)),
    status: (device: string, status: 'online' | 'offline') => send(`home/${device}/status`, status, true),
    stop: () => worker.stop({ timeoutMs: 2000 }),
  };
}

/** What the webhook receiver got for this device from rule hot (or `rule`), as `rule status`. */
const received = (device: string, rule = 'hot', path = '/') =>
  hooks
    .filter((h) => h.path === path)
    .flatMap((h) => h.alerts)
    .filter((a) => a.labels.device === device && a.labels.alertname === rule)
    .map((a) => `${a.labels.alertname} ${a.status}`);

/** The retained messages under pimonitor/alerts/hot/<device>/ as the broker holds them. */
async function retained(device: string): Promise<string[]> {
  const out: string[] = [];
  const { persistence } = rig.broker.aedes as unknown as {
    persistence: { createRetainedStream(pattern: string): AsyncIterable<{ topic: string; payload: Buffer }> };
  };
  for await (const packet of persistence.createRetainedStream(`pimonitor/alerts/hot/${device}/#`))
    if (packet.payload.length > 0) out.push(packet.topic);
  return out;
}
const retainedNow = (device: string, expected: string[]) =>
  eventually(`retained for ${device}: ${expected.join(', ')}`, async () =>
    JSON.stringify(await retained(device)) === JSON.stringify(expected) ? true : undefined,
  );
const hotState = async (device: string) =>
  rig.t.db.oneOrNone<{ phase: string }>("SELECT phase FROM alert_state WHERE rule = 'hot' AND device = $1", [device]);
/** Lets keepFiringFor run out and waits for the worker's timer to resolve hot on this device. */
async function letResolve(device: string) {
  now += 6 * MIN;
  await eventually(`hot resolved on ${device}`, async () => ((await hotState(device)) === null ? true : undefined));
}
/** Several notifier rounds, the clock moving on: nothing more may arrive. */
async function rounds(notifier: Notifier, n = 3) {
  for (let i = 0; i < n; i++) {
    now += 10_000;
    await notifier.sendDue();
  }
}
const topicOf = (device: string) => `pimonitor/alerts/hot/${device}/dht22/temperature`;

test(
  '(a) notified as firing, device offline, keepFiringFor runs out during the outage: one resolution, retained ' +
    'message cleared',
  async () => {
    const a = await startAlerts('alerts-a');
    try {
      await a.read('attic', { temperature: 35 });
      await a.notifier.sendDue();
      expect(received('attic')).toEqual(['hot firing']);
      await retainedNow('attic', [topicOf('attic')]);

      await a.read('attic', { temperature: 20 }); // recovering for 5 minutes
      await a.status('attic', 'offline');
      await letResolve('attic');
      expect(
        await rig.t.db.one(
          "SELECT inhibited FROM alert_events WHERE rule = 'hot' AND device = 'attic' AND kind = 'resolved'",
        ),
      ).toEqual({ inhibited: true });
      await rounds(a.notifier);
      expect(received('attic')).toEqual(['hot firing', 'hot resolved']);
      await retainedNow('attic', []);

      // Back online: nothing more (the alert is over).
      await a.status('attic', 'online');
      await rounds(a.notifier);
      expect(received('attic')).toEqual(['hot firing', 'hot resolved']);
    } finally {
      await a.stop();
    }
  },
);

test('(b) fired while its device was offline and resolved before it came back: nothing at all', async () => {
  const b = await startAlerts('alerts-b');
  try {
    await b.status('cellar', 'offline');
    await b.read('cellar', { temperature: 35 });
    await b.read('cellar', { temperature: 20 });
    await letResolve('cellar');
    await b.status('cellar', 'online');
    await rounds(b.notifier);
    expect(received('cellar')).toEqual([]);
    expect(await retained('cellar')).toEqual([]);
    expect(
      await rig.t.db.one(
        "SELECT count(*)::int AS n FROM alert_notifications n JOIN alert_events e ON e.id = n.event_id WHERE e.rule " +
          "= 'hot' AND e.device = 'cellar'",
      ),
    ).toEqual({ n: 0 });
  } finally {
    await b.stop();
  }
});

test(
  '(c) fired while offline and still firing when the device is back: notified then, once; later resolved once',
  async () => {
    const c = await startAlerts('alerts-c');
    try {
      await c.status('shed', 'offline');
      await c.read('shed', { temperature: 35 });
      await rounds(c.notifier);
      expect(received('shed')).toEqual([]);

      await c.status('shed', 'online');
      await c.status('shed', 'online'); // a second online message (a reconnect) notifies nothing more
      await rounds(c.notifier);
      expect(received('shed')).toEqual(['hot firing']);
      await retainedNow('shed', [topicOf('shed')]);

      await c.read('shed', { temperature: 20 });
      await letResolve('shed');
      await rounds(c.notifier);
      expect(received('shed')).toEqual(['hot firing', 'hot resolved']);
      await retainedNow('shed', []);
    } finally {
      await c.stop();
    }
  },
);

test('(d) a worker restart between firing and resolution neither loses nor repeats the resolution', async () => {
  const first = await startAlerts('alerts-d');
  await first.read('porch', { temperature: 35 });
  await first.notifier.sendDue();
  await first.stop();
  expect(received('porch')).toEqual(['hot firing']);

  // The reading that ends it arrives while the worker is down; its session keeps it.
  await rig.node.publishAsync('home/porch/dht22', JSON.stringify({ temperature: 20 }), { qos: 1 });
  const second = await startAlerts('alerts-d');
  try {
    await second.waitHandled('home/porch/dht22', 1);
    expect(await hotState('porch')).toEqual({ phase: 'recovering' });
  } finally {
    await second.stop();
  }
  const third = await startAlerts('alerts-d');
  try {
    await letResolve('porch');
    await rounds(third.notifier);
  } finally {
    await third.stop();
  }
  const fourth = await startAlerts('alerts-d');
  try {
    await rounds(fourth.notifier);
  } finally {
    await fourth.stop();
  }
  expect(received('porch')).toEqual(['hot firing', 'hot resolved']);
  await retainedNow('porch', []);
});

test('a firing and its resolution both held by quiet hours go out as one message when they end', async () => {
  now = Date.UTC(2026, 10, 23, 11, 30);
  const q = await startAlerts('alerts-q');
  try {
    await q.read('bath', { humidity: 80 });
    await rounds(q.notifier);
    expect(received('bath', 'damp', '/night')).toEqual([]);
    await q.read('bath', { humidity: 50 });
    await rounds(q.notifier);
    expect(received('bath', 'damp', '/night')).toEqual([]);

    now = Date.UTC(2026, 10, 23, 13, 0, 1);
    await rounds(q.notifier);
    const got = hooks.filter((h) => h.path === '/night');
    expect(got).toHaveLength(1);
    expect(got[0]!.alerts).toMatchObject([
      {
        status: 'resolved', labels: { alertname: 'damp', device: 'bath' }, startsAt: '2026-11-23T11:30:00.000Z',
        endsAt: expect.stringMatching(/^2026-11-23T11:3/),
      },
    ]);
  } finally {
    await q.stop();
  }
});

import mqtt from 'mqtt';
import { Notifier } from '../alerts/notifier.js';
import { parseRoutes, type Route } from '../alerts/routes.js';
import { parseRules, type Rule } from '../alerts/rules.js';
import type { OrphanOutcome } from '../alerts/resolve-orphans.js';
import { AlertsWorker } from '../alerts/worker.js';
import { useAlertsRig } from './helpers/alerts-rig.js';
import { eventually } from './helpers/net.js';
import { parse } from './helpers/parsed.js';

// Issue 24, item 3: a rule removed, renamed or narrowed while its alert fires. Before, the alert's
// alert_state row stayed and its firing was repeated every repeatInterval for ever. Real broker, real
// database (PGlite, or PostgreSQL with DATABASE_URL), a webhook receiver and an MQTT route; an
// injected clock, and the notifier's rounds run by the test (sendDue), so nothing waits on timing.

const REPEAT_MS = 6_000;
type Hook = { alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string> }> };
const rig = useAlertsRig<Hook>();
const { hooks } = rig;

let now = Date.UTC(2026, 10, 22, 12);
const clock = () => now;
const routes = (): Route[] => parse(parseRoutes([
  { name: 'hook', type: 'webhook', url: rig.hookUrl('/'), groupWait: 0, repeatInterval: REPEAT_MS },
  { name: 'ha', type: 'mqtt', groupWait: 0, repeatInterval: REPEAT_MS },
]));
// Quiet from 12:00 to 13:00 UTC, the hour the clock starts in.
const nightRoutes = (): Route[] => parse(parseRoutes([
  {
    name: 'night', type: 'webhook', url: rig.hookUrl('/night'), groupWait: 0,
    quietHours: { from: '12:00', to: '13:00', timeZone: 'UTC' },
  },
  { name: 'ha', type: 'mqtt', groupWait: 0, repeatInterval: REPEAT_MS },
]));
const hot = { name: 'hot', type: 'threshold', select: '+/+/temperature', above: 30 };
// Still configured across every restart: it shows that repeats do go out on this clock.
const damp = { name: 'damp', type: 'threshold', select: '+/+/humidity', above: 70 };

/** The worker and notifier of one run of `pimonitor alerts` with these rules. */
async function startAlerts(rawRules: unknown[], clientId: string, routesOf = routes) {
  const rules: Rule[] = parse(parseRules(rawRules));
  const worker = new AlertsWorker(rig.t.db, {
    rules, routes: routesOf(), tickMs: 20, now: clock,
    connect: () => mqtt.connect(rig.broker.url, { clientId, clean: false }),
  });
  const notifier = new Notifier(rig.t.db, {
    rules, routes: routesOf(), pollMs: 20, maxAttempts: 5, now: clock,
    transports: {
      timeoutMs: 5000,
      publish: async (topic, payload, retain) =>
        void (await rig.publisher.publishAsync(topic, payload, { qos: 1, retain })),
    },
  });
  const orphans: OrphanOutcome[] = [];
  worker.on('orphansResolved', ({ outcomes }) => orphans.push(...outcomes));
  const handled = new Map<string, number>();
  worker.on('handled', ({ topic }) => handled.set(topic, (handled.get(topic) ?? 0) + 1));
  await worker.start();
  /** Publishes a message and waits until the worker has evaluated it. */
  const send = async (topic: string, payload: string, retain = false) => {
    const before = handled.get(topic) ?? 0;
    await rig.node.publishAsync(topic, payload, { qos: 1, retain });
    await eventually(`${topic} handled`, async () => ((handled.get(topic) ?? 0) > before ? true : undefined));
  };
  return {
    worker, notifier, orphans, send,
    read: (device: string, values: Record<string, number>) => send(`home/${device}/dht22`, JSON.stringify(values)),
    stop: () => worker.stop({ timeoutMs: 2000 }),
  };
}

/** Every alert the webhook receiver got for this device, as `rule status[ reason]`. */
const received = (device: string) => hooks.flatMap((h) => h.alerts).filter((a) => a.labels.device === device)
  .map((a) => [a.labels.alertname, a.status, a.annotations.reason].filter(Boolean).join(' '));

/** The retained messages under pimonitor/alerts/ for this device, as the broker holds them. */
async function retained(device: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const { persistence } = rig.broker.aedes as unknown as {
    persistence: { createRetainedStream(pattern: string): AsyncIterable<{ topic: string; payload: Buffer }> };
  };
  for await (const packet of persistence.createRetainedStream('pimonitor/alerts/#')) {
    if (packet.topic.split('/')[3] === device && packet.payload.length > 0)
      out[packet.topic] = JSON.parse(packet.payload.toString()).rule;
  }
  return out;
}

/** Runs the notifier's round after letting the clock pass several repeat intervals. */
async function passRepeatIntervals(notifier: Notifier, intervals: number) {
  for (let i = 0; i < intervals; i++) {
    now += REPEAT_MS + 1000;
    await notifier.sendDue();
  }
}

const stateRules = async (device: string) =>
  rig.t.db.map(
    'SELECT rule FROM alert_state WHERE device = $1 ORDER BY rule', [device], (r: { rule: string }) => r.rule,
  );

/** hot and damp fire on this device and are notified to both routes; the worker then goes away. */
async function fireBoth(device: string, clientId: string) {
  const first = await startAlerts([hot, damp], clientId);
  await first.read(device, { temperature: 35, humidity: 80 });
  await first.notifier.sendDue();
  expect(received(device).sort()).toEqual(['damp firing', 'hot firing']);
  await eventually('both retained', async () => (Object.keys(await retained(device)).length === 2 ? true : undefined));
  await first.stop();
}

test.each([
  ['removed', [damp]],
  ['renamed', [{ ...hot, name: 'too-hot' }, damp]],
  ['narrowed so its selector no longer matches the series', [{ ...hot, select: 'attic/+/temperature' }, damp]],
])(
  'a rule %s while firing is resolved once at the next start ("rule removed", retained message cleared) and never ' +
    'repeated',
  async (how, nextRules) => {
    const device = `room-${how.split(' ')[0]}`;
    await fireBoth(device, `alerts-${device}`);

    const next = await startAlerts(nextRules, `alerts-${device}`);
    try {
      expect(next.orphans).toEqual([
        {
          key: { rule: 'hot', device, sensor: 'dht22', metric: 'temperature' }, phase: 'firing', resolved: true,
          routes: ['ha', 'hook'],
        },
      ]);
      expect(await stateRules(device)).toEqual(['damp']);
      await next.notifier.sendDue();
      expect(received(device).sort()).toEqual(['damp firing', 'hot firing', 'hot resolved rule removed']);
      await eventually('hot no longer retained', async () =>
        JSON.stringify(await retained(device)) ===
        JSON.stringify({ [`pimonitor/alerts/damp/${device}/dht22/humidity`]: 'damp' })
          ? true
          : undefined,
      );

      // Still hot: a renamed rule's alert is a new one (fired once, under its new name); the others none.
      await next.read(device, { temperature: 36, humidity: 81 });
      await next.notifier.sendDue();
      await passRepeatIntervals(next.notifier, 4);
      const got = received(device);
      expect(got.filter((a) => a.startsWith('hot '))).toEqual(['hot firing', 'hot resolved rule removed']);
      expect(got.filter((a) => a === 'damp firing').length).toBeGreaterThanOrEqual(4); // repeats do go out
      expect(new Set(got.filter((a) => a.startsWith('too-hot ')))).toEqual(
        new Set(how === 'renamed' ? ['too-hot firing'] : []),
      );
      expect(await stateRules(device)).toEqual(how === 'renamed' ? ['damp', 'too-hot'] : ['damp']);
      expect(
        await rig.t.db.map(
          "SELECT kind, reason FROM alert_events WHERE rule = 'hot' AND device = $1 ORDER BY id", [device], (r) => r,
        ),
      ).toEqual([
        { kind: 'fired', reason: null }, { kind: 'resolved', reason: 'rule removed' },
      ]);
    } finally {
      await next.stop();
    }

    // A second restart with the same rules finds nothing left to resolve.
    const again = await startAlerts(nextRules, `alerts-${device}`);
    await again.stop();
    expect(again.orphans).toEqual([]);
  },
);

test(
  'an alert of a removed rule that was never notified as firing gets no resolution: pending, fired while inhibited',
  async () => {
    const device = 'cellar';
    const slow = { name: 'slow', type: 'threshold', select: '+/+/humidity', above: 70, for: '5m' };
    const down = { name: 'down', type: 'offline', select: '+', routes: ['ha'] };
    const first = await startAlerts([hot, slow, down], 'alerts-cellar');
    // Offline: hot fires inhibited (stored, not notified); slow is pending.
    await first.send(`home/${device}/status`, 'offline', true);
    await first.read(device, { temperature: 35, humidity: 80 });
    await first.notifier.sendDue();
    expect(
      await rig.t.db.map('SELECT rule, phase FROM alert_state WHERE device = $1 ORDER BY rule', [device], (r) => r),
    ).toEqual([
      { rule: 'down', phase: 'firing' }, { rule: 'hot', phase: 'firing' }, { rule: 'slow', phase: 'pending' },
    ]);
    expect(received(device)).toEqual([]); // down goes to ha only
    await first.stop();

    const second = await startAlerts([down], 'alerts-cellar');
    await passRepeatIntervals(second.notifier, 3);
    await second.stop();
    expect(second.orphans.sort((a, b) => a.key.rule.localeCompare(b.key.rule))).toEqual([
      {
        key: { rule: 'hot', device, sensor: 'dht22', metric: 'temperature' }, phase: 'firing', resolved: true,
        routes: [],
      },
      {
        key: { rule: 'slow', device, sensor: 'dht22', metric: 'humidity' }, phase: 'pending', resolved: false,
        routes: [],
      },
    ]);
    expect(received(device)).toEqual([]);
    expect(await stateRules(device)).toEqual(['down']);
    expect(
      await rig.t.db.map(
        "SELECT rule, kind, reason FROM alert_events WHERE device = $1 AND rule <> 'down' ORDER BY id", [device],
        (r) => r,
      ),
    ).toEqual([
      { rule: 'hot', kind: 'fired', reason: null }, { rule: 'hot', kind: 'resolved', reason: 'rule removed' },
    ]);
    expect(
      await rig.t.db.one(
        "SELECT count(*)::int AS n FROM alert_notifications n JOIN alert_events e ON e.id = n.event_id WHERE " +
          "e.device = $1 AND e.rule <> 'down'",
        [device],
      ),
    ).toEqual({ n: 0 });

  },
  30_000,
);

test(
  'a firing still held when its rule is removed and its resolution are one message, the resolution, when the firing ' +
    'would have gone (issue 24, items 2 and 3)',
  async () => {
    const device = 'loft';
    const unsent = (rule: string) => rig.t.db.map(`SELECT e.kind, n.route, n.due_at, n.sent_at IS NULL AS unsent, ` +
      `n.last_error FROM alert_notifications n JOIN alert_events e ON e.id = n.event_id
    WHERE e.device = $1 AND e.rule = $2 ORDER BY n.id`, [device, rule], (r) => r);
    // Not sent yet (the worker stopped before the notifier's round): given up, and the resolution goes in its place.
    const first = await startAlerts([hot], 'alerts-loft');
    await first.read(device, { temperature: 37 });
    await first.stop();
    const second = await startAlerts([], 'alerts-loft');
    await second.notifier.sendDue();
    await passRepeatIntervals(second.notifier, 3);
    await second.stop();
    expect(second.orphans).toEqual([
      {
        key: { rule: 'hot', device, sensor: 'dht22', metric: 'temperature' }, phase: 'firing', resolved: true,
        routes: ['ha', 'hook'],
      },
    ]);
    expect(received(device)).toEqual(['hot resolved rule removed']);
    expect(await retained(device)).toEqual({});
    expect((await unsent('hot')).map((r) => [r.kind, r.route, r.unsent, r.last_error])).toEqual([
      ['fired', 'hook', true, 'rule removed before it was sent'],
      ['fired', 'ha', true, 'rule removed before it was sent'],
      ['resolved', 'hook', false, null], ['resolved', 'ha', false, null],
    ]);

    // Held by quiet hours, the rule removed before they end: nothing during them, one message at their end.
    now = Date.UTC(2026, 10, 23, 12, 10);
    const warm = { name: 'warm', type: 'threshold', select: '+/+/temperature', above: 30 };
    const third = await startAlerts([warm], 'alerts-loft', nightRoutes);
    await third.read(device, { temperature: 36 });
    await third.notifier.sendDue();
    await third.stop();
    const fourth = await startAlerts([], 'alerts-loft', nightRoutes);
    // Due when the held firing was: at the end of the quiet hours (the MQTT route had its firing: now).
    expect((await unsent('warm')).filter((r) => r.kind === 'resolved').map((r) => [r.route, r.due_at.toISOString()]))
      .toEqual([['night', '2026-11-23T13:00:00.000Z'], ['ha', '2026-11-23T12:10:00.000Z']]);
    await fourth.notifier.sendDue();
    expect(hooks.filter((h) => h.path === '/night')).toEqual([]);
    now = Date.UTC(2026, 10, 23, 13, 0, 1);
    await fourth.notifier.sendDue();
    await fourth.stop();
    expect(fourth.orphans).toEqual([
      {
        key: { rule: 'warm', device, sensor: 'dht22', metric: 'temperature' }, phase: 'firing', resolved: true,
        routes: ['ha', 'night'],
      },
    ]);
    const night = hooks.filter((h) => h.path === '/night').flatMap((h) => h.alerts).map((a) => [
      a.labels.alertname, a.status, a.annotations.reason,
    ]);
    expect(night).toEqual([['warm', 'resolved', 'rule removed']]);
  },
  30_000,
);

test(
  'a firing handed to a sender and never marked (a crash while sending) may have gone out: its resolution is owed',
  async () => {
    const device = 'porch';
    const { claimDue } = await import('../alerts/delivery.js');
    const first = await startAlerts([hot], 'alerts-porch');
    await first.read(device, { temperature: 35 });
    await first.stop();
    // What the notifier does before it sends; the process dies before markSent.
    expect((await claimDue(rig.t.db, now)).map((n) => `${n.event.rule} ${n.route}`).sort()).toEqual([
      'hot ha', 'hot hook',
    ]);

    const next = await startAlerts([], 'alerts-porch');
    await next.notifier.sendDue();
    await passRepeatIntervals(next.notifier, 3);
    await next.stop();
    expect(next.orphans).toEqual([
      {
        key: { rule: 'hot', device, sensor: 'dht22', metric: 'temperature' }, phase: 'firing', resolved: true,
        routes: ['ha', 'hook'],
      },
    ]);
    expect(received(device)).toEqual(['hot resolved rule removed']);
    expect(await retained(device)).toEqual({});
    expect(await stateRules(device)).toEqual([]);
  },
);

/** An MQTT route quiet from 12:00 to 13:00 UTC. */
const quietHa = (): Route[] =>
  parse(
    parseRoutes([
      { name: 'ha', type: 'mqtt', groupWait: 0, quietHours: { from: '12:00', to: '13:00', timeZone: 'UTC' } },
    ]),
  );

/**
 * `hot` fires on `device` at 11:50 of `day` and is retained; the worker restarts at 12:10 without the
 * rule, so its resolution waits for the end of quiet hours. Returns the alert's topic.
 */
async function firedThenRemovedInQuietHours(device: string, day: number): Promise<string> {
  const topic = `pimonitor/alerts/hot/${device}/dht22/temperature`;
  now = Date.UTC(2026, 10, day, 11, 50);
  const first = await startAlerts([hot], `alerts-${device}`, quietHa);
  await first.read(device, { temperature: 35 });
  await first.notifier.sendDue();
  await eventually('hot retained', async () => ((await retained(device))[topic] ? true : undefined));
  await first.stop();
  now = Date.UTC(2026, 10, day, 12, 10);
  const second = await startAlerts([], `alerts-${device}`, quietHa);
  await second.notifier.sendDue();
  await second.stop();
  expect(second.orphans.filter((o) => o.key.device === device).map((o) => o.routes)).toEqual([['ha']]);
  return topic;
}

test(
  'a rule removed, then added again as critical, while its held resolution waits for quiet hours: the old resolution ' +
    'does not clear the new firing retained on MQTT',
  async () => {
    const device = 'study';
    const topic = await firedThenRemovedInQuietHours(device, 24);
    // Back as critical (quiet hours let it through): a new alert, fired and retained at once.
    now = Date.UTC(2026, 10, 24, 12, 20);
    const third = await startAlerts([{ ...hot, severity: 'critical' }], 'alerts-study', quietHa);
    try {
      await third.read(device, { temperature: 36 });
      await third.notifier.sendDue();
      await eventually('hot retained again', async () => ((await retained(device))[topic] ? true : undefined));
      now = Date.UTC(2026, 10, 24, 13, 0, 1);
      await third.notifier.sendDue();
      expect(await stateRules(device)).toEqual(['hot']);
      // The retained message is the firing one still (a flush through the broker first).
      await rig.publisher.publishAsync(`pimonitor/flush/${device}`, 'x', { qos: 1 });
      expect(await retained(device)).toEqual({ [topic]: 'hot' });
    } finally {
      await third.stop();
    }
  },
  30_000,
);

test(
  'a rule removed and added back, its new firing dated before the removal (a node clock behind): both held to 13:00, ' +
    'the retained message is the new firing',
  async () => {
    const device = 'den';
    const topic = await firedThenRemovedInQuietHours(device, 25);
    now = Date.UTC(2026, 10, 25, 12, 20);
    const third = await startAlerts([hot], 'alerts-den', quietHa);
    try {
      await third.read(device, { temperature: 36, ts: Date.UTC(2026, 10, 25, 12, 5) });
      await third.notifier.sendDue();
      now = Date.UTC(2026, 10, 25, 13, 0, 1);
      await third.read(device, { temperature: 36 });
      await third.notifier.sendDue();
      expect(await stateRules(device)).toEqual(['hot']);
      await rig.publisher.publishAsync(`pimonitor/flush/${device}`, 'x', { qos: 1 });
      expect(await retained(device)).toEqual({ [topic]: 'hot' });
    } finally {
      await third.stop();
    }
  },
  30_000,
);

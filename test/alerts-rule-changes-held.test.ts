import { parseRoutes, type Route } from '../alerts/routes.js';
import { hot, REPEAT_MS, useRuleChangeAlerts } from './helpers/alerts-rule-changes.js';
import { eventually } from './helpers/net.js';
import { parse } from './helpers/parsed.js';

// Issue 24, items 2 and 3: a rule removed while its alert's firing is held (group wait, quiet hours) or
// in flight (handed to a sender that crashed), and a rule added back while its old resolution waits.
// Real broker, real database (PGlite, or PostgreSQL with DATABASE_URL), a webhook receiver and an MQTT
// route; an injected clock, and the notifier's rounds run by the test (sendDue), so nothing waits on
// timing. Rules removed, renamed or narrowed while firing: test/alerts-rule-changes.test.ts.

let now = Date.UTC(2026, 10, 22, 12);
const { rig, hooks, startAlerts, received, retained, passRepeatIntervals, stateRules } = useRuleChangeAlerts({
  now: () => now, set: (ms) => (now = ms),
});
// Quiet from 12:00 to 13:00 UTC, the hour the clock starts in.
const nightRoutes = (): Route[] => parse(parseRoutes([
  {
    name: 'night', type: 'webhook', url: rig.hookUrl('/night'), groupWait: 0,
    quietHours: { from: '12:00', to: '13:00', timeZone: 'UTC' },
  },
  { name: 'ha', type: 'mqtt', groupWait: 0, repeatInterval: REPEAT_MS },
]));

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

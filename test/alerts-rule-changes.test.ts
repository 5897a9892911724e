import { damp, hot, useRuleChangeAlerts } from './helpers/alerts-rule-changes.js';
import { eventually } from './helpers/net.js';

// Issue 24, item 3: a rule removed, renamed or narrowed while its alert fires. Before, the alert's
// alert_state row stayed and its firing was repeated every repeatInterval for ever. Real broker, real
// database (PGlite, or PostgreSQL with DATABASE_URL), a webhook receiver and an MQTT route; an
// injected clock, and the notifier's rounds run by the test (sendDue), so nothing waits on timing.
// This file: rules removed, renamed or narrowed while firing, and alerts never notified as firing. A
// removed rule's firing held (group wait, quiet hours), in flight at a crash, or its rule added back:
// test/alerts-rule-changes-held.test.ts.

let now = Date.UTC(2026, 10, 22, 12);
const { rig, startAlerts, received, retained, passRepeatIntervals, stateRules } = useRuleChangeAlerts({
  now: () => now, set: (ms) => (now = ms),
});

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

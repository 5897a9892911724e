import { AlertEngine } from '../alerts/engine.js';
import { parseRoutes, type Route } from '../alerts/routes.js';
import { parseRules, type Rule } from '../alerts/rules.js';
import { claimDue, markFailed, markSent } from '../alerts/delivery.js';
import { queueRepeats } from '../alerts/repeats.js';
import { loadForRestore, saveChanges } from '../alerts/store.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { writeBatch } from './helpers/storage.js';
import { parse } from './helpers/parsed.js';

const MIN = 60_000;
let t: TestDatabase;
beforeAll(async () => {
  t = await createMigratedTestDatabase();
}, 60_000);
afterAll(async () => t?.stop());

test('state, events and the outbox survive a restart; due notifications are leased, sent or retried', async () => {
  const rules: Rule[] = parse(parseRules([
    { name: 'hot', type: 'threshold', select: '+/+/temperature', above: 30, for: '5m', severity: 'critical' },
    { name: 'quiet', type: 'stale', select: '+/+/+', after: '15m', routes: ['mail'] },
  ]));
  const routes: Route[] = parse(parseRoutes([
    { name: 'phone', type: 'ntfy', url: 'https://ntfy.sh/x', groupWait: '30s' },
    { name: 'mail', type: 'email', to: 'me@example.com', severities: ['warning'], groupWait: 0 },
  ]));
  const t0 = Date.UTC(2026, 10, 20, 12);
  const engine = new AlertEngine(rules, t0);
  await writeBatch(t.db, [{ device: 'attic', ts: new Date(t0), value: 31 }]); // what ingest stores meanwhile
  await saveChanges(t.db, engine.reading('attic', 'dht22', 'temperature', 31, t0), rules, routes, t0);
  expect(await t.db.one('SELECT phase, value FROM alert_state')).toEqual({ phase: 'pending', value: 31 });

  // A restart while pending: the new engine carries on and fires on time, once.
  const restored = new AlertEngine(rules, t0 + MIN);
  const loaded = await loadForRestore(t.db);
  restored.restore(loaded.states, loaded.lastSeen, loaded.offline);
  expect(restored.nextDueAt()).toBe(t0 + 5 * MIN);
  const fired = restored.tick(t0 + 5 * MIN);
  expect(await saveChanges(t.db, fired, rules, routes, t0 + 5 * MIN)).toBe(1); // critical: phone only
  const event = await t.db.one('SELECT kind, rule, device, sensor, metric, severity, value, message FROM alert_events');
  expect(event).toEqual({
    kind: 'fired',
    rule: 'hot',
    device: 'attic',
    sensor: 'dht22',
    metric: 'temperature',
    severity: 'critical',
    value: 31,
    message: 'attic/dht22 temperature 31.0 °C above 30 °C for 5 min',
  });

  // Not due before its group wait; then leased once, so a second sender gets nothing.
  expect(await claimDue(t.db, t0 + 5 * MIN + 10_000)).toEqual([]);
  const due = await claimDue(t.db, t0 + 5 * MIN + 30_000);
  expect(due).toEqual([
    expect.objectContaining({
      route: 'phone',
      attempts: 1,
      event: expect.objectContaining({
        kind: 'fired',
        message: 'attic/dht22 temperature 31.0 °C above 30 °C for 5 min',
      }),
    }),
  ]);
  expect(await claimDue(t.db, t0 + 5 * MIN + 31_000)).toEqual([]);
  // A failed send comes back at its retry time; a sent one never again.
  await markFailed(t.db, due.map((d) => d.id), 'connect ECONNREFUSED', t0 + 6 * MIN, 5);
  expect(await claimDue(t.db, t0 + 5 * MIN + 59_000)).toEqual([]);
  const again = await claimDue(t.db, t0 + 6 * MIN);
  expect(again.map((d) => d.attempts)).toEqual([2]);
  await markSent(t.db, again.map((d) => d.id), t0 + 6 * MIN);
  expect(await claimDue(t.db, t0 + 60 * MIN)).toEqual([]);
  const sent = await t.db.one('SELECT attempts, sent_at IS NOT NULL AS sent, last_error FROM alert_notifications');
  expect(sent).toEqual({ attempts: 2, sent: true, last_error: null });

  // A warning stale alert takes only the route its rule names.
  await saveChanges(t.db, restored.tick(t0 + 30 * MIN), rules, routes, t0 + 30 * MIN);
  const quietRoutes = await t.db.map(
    "SELECT route FROM alert_notifications n JOIN alert_events e ON e.id = n.event_id WHERE e.rule = 'quiet'",
    [],
    (r: { route: string }) => r.route,
  );
  expect(quietRoutes).toEqual(['mail']);

  // Resolved: the state row goes, the event stays.
  const cooled = restored.reading('attic', 'dht22', 'temperature', 20, t0 + 31 * MIN);
  await saveChanges(t.db, cooled, rules, routes, t0 + 31 * MIN);
  expect(await t.db.any("SELECT rule, phase FROM alert_state WHERE rule = 'hot'")).toEqual([]);
  const kinds = await t.db.map(
    "SELECT kind FROM alert_events WHERE rule = 'hot' ORDER BY id",
    [],
    (r: { kind: string }) => r.kind,
  );
  expect(kinds).toEqual(['fired', 'resolved']);
});

test('a notification that keeps failing is given up after the last attempt, with its error kept', async () => {
  await t.db.none('TRUNCATE alert_events, alert_notifications, alert_state');
  const { id } = await t.db.one<{ id: string }>(
    `INSERT INTO alert_events (at, kind, rule, device, severity, message, started_at)
      VALUES (now(), 'fired', 'r', 'd', 'warning', 'm', now()) RETURNING id`,
  );
  await t.db.none(
    "INSERT INTO alert_notifications (event_id, route, due_at) VALUES ($1, 'hook', now() - interval '1 minute')",
    [id],
  );
  for (let attempt = 1; attempt <= 3; attempt++) {
    const due = await claimDue(t.db, Date.now() + attempt * 3_600_000);
    expect(due).toHaveLength(1);
    await markFailed(t.db, [due[0]!.id], `HTTP 500 (attempt ${attempt})`, Date.now() + attempt * 3_600_000, 3);
  }
  expect(await claimDue(t.db, Date.now() + 10 * 3_600_000)).toEqual([]);
  const given = await t.db.one(
    'SELECT attempts, gave_up_at IS NOT NULL AS gave_up, last_error FROM alert_notifications',
  );
  expect(given).toEqual({ attempts: 3, gave_up: true, last_error: 'HTTP 500 (attempt 3)' });
});

test(
  'an alert still firing is notified again after the route\'s repeatInterval, not before, and not after it resolves',
  async () => {
    await t.db.none('TRUNCATE alert_events, alert_notifications, alert_state');
    const rules: Rule[] = parse(parseRules([{ name: 'hot', type: 'threshold', select: '+/+/temperature', above: 30 }]));
    const routes: Route[] = parse(parseRoutes([
      { name: 'phone', type: 'ntfy', url: 'https://ntfy.sh/x', groupWait: 0, repeatInterval: '1h' },
    ]));
    const t0 = Date.UTC(2026, 10, 21, 12);
    const engine = new AlertEngine(rules, t0);
    await saveChanges(t.db, engine.reading('loft', 'dht22', 'temperature', 35, t0), rules, routes, t0);
    await markSent(t.db, (await claimDue(t.db, t0)).map((d) => d.id), t0);
    expect(await queueRepeats(t.db, rules, routes, t0 + 59 * MIN)).toBe(0);
    expect(await queueRepeats(t.db, rules, routes, t0 + 60 * MIN)).toBe(1);
    expect(await queueRepeats(t.db, rules, routes, t0 + 61 * MIN)).toBe(0); // one is waiting already
    const repeat = await claimDue(t.db, t0 + 61 * MIN);
    expect(repeat.map((d) => d.event.kind)).toEqual(['fired']);
    await markSent(t.db, repeat.map((d) => d.id), t0 + 61 * MIN);
    const cooled = engine.reading('loft', 'dht22', 'temperature', 20, t0 + 90 * MIN);
    await saveChanges(t.db, cooled, rules, routes, t0 + 90 * MIN);
    await markSent(t.db, (await claimDue(t.db, t0 + 90 * MIN)).map((d) => d.id), t0 + 90 * MIN);
    expect(await queueRepeats(t.db, rules, routes, t0 + 5 * 60 * MIN)).toBe(0);

    // While its device is offline an alert is inhibited: it does not repeat; back online, it does.
    const hotAgain = engine.reading('loft', 'dht22', 'temperature', 36, t0 + 6 * 60 * MIN);
    await saveChanges(t.db, hotAgain, rules, routes, t0 + 6 * 60 * MIN);
    await markSent(t.db, (await claimDue(t.db, t0 + 6 * 60 * MIN)).map((d) => d.id), t0 + 6 * 60 * MIN);
    await t.db.none(
      "INSERT INTO devices (device, first_seen, last_seen, status) VALUES ('loft', now(), now(), 'offline')",
    );
    expect(await queueRepeats(t.db, rules, routes, t0 + 8 * 60 * MIN)).toBe(0);
    await t.db.none("UPDATE devices SET status = 'online' WHERE device = 'loft'");
    expect(await queueRepeats(t.db, rules, routes, t0 + 8 * 60 * MIN)).toBe(1);
  },
);

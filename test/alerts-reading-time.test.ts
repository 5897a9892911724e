import { AlertEngine, type Change } from '../alerts/engine.js';
import { LIVE_LAG_MS, SETTLE_MS } from '../alerts/progress.js';
import { parseRoutes, type Route } from '../alerts/routes.js';
import { parseRules, type Rule } from '../alerts/rules.js';
import { claimDue, markSent } from '../alerts/delivery.js';
import { loadForRestore, saveChanges } from '../alerts/store.js';
import { useFileDatabase } from './helpers/file-database.js';
import { parse } from './helpers/parsed.js';

/**
 * Issue 24, item 1: alerts judge readings in the time they were taken. A backlog (an outbox replay, a
 * worker catching up) is the past it describes: an episode in it is detected, and notified once.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.UTC(2026, 10, 20, 14);
const database = useFileDatabase();
beforeEach(async () => {
  await database.db.none('TRUNCATE alert_state, alert_events, alert_notifications');
});

const rules = (extra: object = {}): Rule[] =>
  parse(parseRules([{ name: 'hot', type: 'threshold', select: '+/+/temperature', above: 30, for: '5m', ...extra }]));
const routes: Route[] = parse(parseRoutes([
  { name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/hook', groupWait: 0, sendResolved: true },
  { name: 'quiet', type: 'ntfy', url: 'http://127.0.0.1:9/ntfy', groupWait: 0, sendResolved: false },
  { name: 'ha', type: 'mqtt', groupWait: 0 },
]));
const hhmm = (at: number | Date) => new Date(at).toISOString().slice(11, 16);
const events = (changes: Change[]) =>
  changes.flatMap((c) => (c.event ? [[c.event.type, hhmm(c.event.at), c.event.catchingUp]] : []));

/** What each route is sent now, as the notifier would: [route, kind, started, at, past episode]. */
async function sendDue(at: number) {
  const due = await claimDue(database.db, at);
  await markSent(database.db, due.map((d) => d.id), at);
  return due.map((d) => [
    d.route, d.event.kind, hhmm(d.event.started_at), hhmm(d.event.at), d.event.past_episode ?? false,
  ]);
}

/** A node's outbox: one reading a minute from `from`, all arriving at `arrival`. */
function replay(engine: AlertEngine, values: number[], from: number, arrival: number): Change[] {
  return values.flatMap((value, i) => engine.reading('attic', 'dht22', 'temperature', value, from + i * MIN, arrival));
}

test(
  'an outbox replay of a 9-minute episode two hours old is notified once, as a past episode dated then, ' +
    'and retains nothing',
  async () => {
    const r = rules();
    const engine = new AlertEngine(r, NOW - 3 * HOUR);
    // 11:59 ... 12:11: above 30 °C from 12:00 to 12:08 (9 readings, 9 minutes), cool again at 12:09.
    const values = [25, ...Array(9).fill(31), 25, 25, 25];
    const changes = replay(engine, values, NOW - 2 * HOUR - MIN, NOW);
    expect(events(changes)).toEqual([['fired', '12:05', true], ['resolved', '12:09', false]]);
    await saveChanges(database.db, changes, r, routes, NOW);
    // Not the firing: the episode, once, to the routes that take its severity (even without sendResolved), not MQTT.
    expect(await sendDue(NOW)).toEqual([
      ['hook', 'resolved', '12:00', '12:09', true], ['quiet', 'resolved', '12:00', '12:09', true],
    ]);
    expect(await database.db.one('SELECT count(*)::int AS n FROM alert_notifications')).toEqual({ n: 2 });
    // Its stored words are an episode's, in °C and UTC.
    expect(await database.db.one("SELECT message FROM alert_events WHERE kind = 'resolved'"))
      .toEqual({ message: 'attic/dht22 temperature was above 30 °C from 12:00 to 12:09' });
    await saveChanges(database.db, engine.tick(NOW + SETTLE_MS), r, routes, NOW + SETTLE_MS);
    expect(await sendDue(NOW + HOUR)).toEqual([]);
  },
);

test('with `for: 0s` the replayed episode is dated when it happened, not when it arrived', () => {
  const engine = new AlertEngine(rules({ for: '0s' }), NOW - 3 * HOUR);
  expect(events(replay(engine, [31, 31, 25], NOW - 2 * HOUR, NOW))).toEqual([
    ['fired', '12:00', true], ['resolved', '12:02', false],
  ]);
});

test(
  'an episode still going at the end of a backlog fires when its series catches up, dated when it began',
  async () => {
    const r = rules();
    const engine = new AlertEngine(r, NOW - 3 * HOUR);
    const backlog = replay(engine, Array(10).fill(31), NOW - 30 * MIN, NOW);
    expect(events(backlog)).toEqual([['fired', '13:35', true]]);
    await saveChanges(database.db, backlog, r, routes, NOW);
    expect(await sendDue(NOW)).toEqual([]);
    // Still arriving: held. Once settled (no reading for SETTLE_MS), or at a live reading, released once.
    await saveChanges(database.db, engine.tick(NOW + 1000), r, routes, NOW + 1000);
    expect(await sendDue(NOW + 1000)).toEqual([]);
    const live = engine.reading('attic', 'dht22', 'temperature', 32, NOW + 2000, NOW + 2000);
    expect(live).toEqual([expect.objectContaining({ release: true })]);
    await saveChanges(database.db, live, r, routes, NOW + 2000);
    expect(await sendDue(NOW + 2000)).toEqual([
      ['hook', 'fired', '13:30', '13:35', false], ['quiet', 'fired', '13:30', '13:35', false],
      ['ha', 'fired', '13:30', '13:35', false],
    ]);
    await saveChanges(database.db, engine.tick(NOW + SETTLE_MS + 3000), r, routes, NOW + SETTLE_MS + 3000);
    expect(await sendDue(NOW + HOUR)).toEqual([]);
    // Its end is a resolution like any other: to the routes notified of the firing that send resolutions.
    const cooled = engine.reading('attic', 'dht22', 'temperature', 25, NOW + 3 * MIN, NOW + 3 * MIN);
    await saveChanges(database.db, cooled, r, routes, NOW + 3 * MIN);
    expect(await sendDue(NOW + HOUR)).toEqual([
      ['hook', 'resolved', '13:30', '14:03', false], ['ha', 'resolved', '13:30', '14:03', false],
    ]);
  },
);

test('a late reading, older than the newest evaluated, changes no live state', () => {
  const engine = new AlertEngine(rules({ for: '0s' }), NOW);
  expect(events(engine.reading('attic', 'dht22', 'temperature', 31, NOW, NOW))).toEqual([['fired', '14:00', false]]);
  // An hour-old 20 °C arriving late neither resolves it nor moves the series back.
  expect(engine.reading('attic', 'dht22', 'temperature', 20, NOW - HOUR, NOW + 1000)).toEqual([]);
  expect(engine.lateReadings).toBe(1);
  expect(engine.active()).toEqual([
    expect.objectContaining({ state: expect.objectContaining({ phase: 'firing', observedAt: NOW }) }),
  ]);
  // The same time again is not late (readings without a ts of their own may share a millisecond).
  expect(events(engine.reading('attic', 'dht22', 'temperature', 20, NOW, NOW + 2000)))
    .toEqual([['resolved', '14:00', false]]);
});

test('timers wait while a series catches up, and a timer that ran out in the past is dated when it ran out', () => {
  const engine = new AlertEngine(rules({ keepFiringFor: '10m' }), NOW - 3 * HOUR);
  // Hot from 12:00 to 12:06, cool from 12:07 to 12:09: fired at 12:05, recovering since 12:07.
  const backlog = replay(engine, [31, 31, 31, 31, 31, 31, 31, 25, 25, 25], NOW - 2 * HOUR, NOW);
  expect(events(backlog)).toEqual([['fired', '12:05', true]]);
  // The clock says keepFiringFor ran out long ago, but more of the backlog may be coming: wait.
  expect(engine.tick(NOW + 1000)).toEqual([]);
  // Settled: it ran out at 12:17 in reading time, and is dated so.
  expect(events(engine.tick(NOW + SETTLE_MS))).toEqual([['resolved', '12:17', false]]);
});

test(
  'a live reading is one within LIVE_LAG_MS of the clock: a node whose clock is a little off is not a backlog',
  () => {
    const engine = new AlertEngine(rules({ for: '0s' }), NOW);
    expect(events(engine.reading('attic', 'dht22', 'temperature', 31, NOW - LIVE_LAG_MS, NOW)))
      .toEqual([['fired', '13:59', false]]);
    const behind = new AlertEngine(rules({ for: '0s' }), NOW);
    expect(events(behind.reading('attic', 'dht22', 'temperature', 31, NOW - LIVE_LAG_MS - 1, NOW)))
      .toEqual([['fired', '13:58', true]]);
  },
);

test(
  'after a restart, a reading older than the newest that changed an alert is late; ' +
    'a held firing is released once settled',
  async () => {
    const r = rules({ for: '0s' });
    const engine = new AlertEngine(r, NOW - 3 * HOUR);
    await saveChanges(database.db, replay(engine, [31, 31], NOW - HOUR, NOW), r, routes, NOW);
    expect(await sendDue(NOW)).toEqual([]);
    // Restarted before the series settled: the firing the backlog made is still owed.
    const loaded = await loadForRestore(database.db);
    const restarted = new AlertEngine(r, NOW + 1000);
    restarted.restore(loaded.states, loaded.lastSeen, loaded.offline);
    expect(restarted.reading('attic', 'dht22', 'temperature', 20, NOW - 2 * HOUR, NOW + 1000)).toEqual([]);
    const released = restarted.tick(NOW + 2000);
    expect(released).toEqual([expect.objectContaining({ release: true })]);
    await saveChanges(database.db, released, r, routes, NOW + 2000);
    const sent = (await sendDue(NOW + 2000)).map(([route, kind, started]) => [route, kind, started]);
    expect(sent).toEqual([['hook', 'fired', '13:00'], ['quiet', 'fired', '13:00'], ['ha', 'fired', '13:00']]);
    // A second release (another tick, an online status) sends nothing more.
    const again = [...restarted.tick(NOW + 3000), ...restarted.status('attic', 'online', NOW + 3000)];
    await saveChanges(database.db, again, r, routes, NOW + 3000);
    expect(await sendDue(NOW + HOUR)).toEqual([]);
  },
);

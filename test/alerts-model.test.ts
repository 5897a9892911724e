import fc from 'fast-check';
import { AlertEngine, type Change } from '../alerts/engine.js';
import { partitionByOwner } from '../alerts/orphans.js';
import { parseRoutes, type Route } from '../alerts/routes.js';
import { parseRules, type Rule } from '../alerts/rules.js';
import { claimDue, markSent } from '../alerts/delivery.js';
import { resolveOrphaned } from '../alerts/resolve-orphans.js';
import { loadForRestore, saveChanges } from '../alerts/store.js';
import { saveProgress } from '../alerts/progress-store.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { FUZZ_SEED } from './support/hostile.js';
import { AlertsModel, type ModelMessage, type ModelRoute, type ModelRule } from './support/alerts-model.js';
import { DEVICES, ENDING, FOUND, scenario, SEC, type Step } from './support/alerts-model-scenarios.js';
import { parse } from './helpers/parsed.js';

// Issue 24, item 6: random histories of one or two devices (live readings, bursts of past readings,
// late ones, online/offline, clock ticks, restarts from the database, rules removed or renamed at a
// restart) through the real engine and store (alerts/engine.ts, alerts/store.ts, as AlertsWorker.start
// wires them), checked against test/support/alerts-model.ts. After every step the outbox is sent at
// the clock (claimDue + markSent) and what each route gets is compared with the model's; at the end,
// once every condition has ended, every firing a route got has exactly one resolution (with
// sendResolved) and nothing is left. Fixed seed; a longer run: npm run test:fuzz:alerts
// (ALERTS_MODEL_RUNS=20000; FUZZ_SEED to vary).

const RUNS = Number(process.env.ALERTS_MODEL_RUNS ?? 300);
const T0 = Date.UTC(2026, 10, 23, 12);
const RESTART_MS = 10 * SEC;
/*
 * The two divergences this test found (a restarted engine forgot how far each series had been judged;
 * a firing held only by inhibition waited for its series to settle at an `online`) are fixed: see
 * alerts/progress-store.ts and AlertEngine.release. No step is left out.
 */

let t: TestDatabase;
beforeAll(async () => {
  t = await createMigratedTestDatabase();
}, 60_000);
afterAll(async () => t?.stop());

const seconds = (ms: number) => `${ms / 1000}s`;

const rulesOf = (rules: readonly ModelRule[]): Rule[] => parse(parseRules(rules.map((r) => ({
  name: r.name, type: 'threshold', select: '+/+/temperature', above: r.above, clear: r.clear,
  for: seconds(r.forMs), keepFiringFor: seconds(r.keepFiringForMs), severity: r.severity,
}))));
const routesOf = (routes: readonly ModelRoute[]): Route[] => parse(parseRoutes(routes.map((r) => ({
  name: r.name, severities: r.severities, sendResolved: r.sendResolved, groupWait: seconds(r.groupWaitMs),
  repeatInterval: '0s',
  ...(r.mqtt ? { type: 'mqtt' } : { type: 'webhook', url: 'http://127.0.0.1:9/hook' }),
}))));

const rel = (ms: number) => `${(ms - T0) / 1000}s`;
const show = (m: ModelMessage) =>
  [
    m.kind, m.rule, m.device, `at=${rel(m.at)}`, `started=${rel(m.startedAt)}`, `fired=${rel(m.firedAt)}`,
    m.pastEpisode ? 'past' : '', m.reason ? `(${m.reason})` : '',
  ]
    .filter(Boolean)
    .join(' ');
const byRoute = (got: Map<string, ModelMessage[]>) =>
  Object.fromEntries(
    [...got]
      .filter(([, ms]) => ms.length > 0)
      .map(([r, ms]) => [r, ms.map(show).sort()])
      .sort(),
  );

const stats = { runs: 0, fired: 0, resolved: 0, pastEpisodes: 0, ruleRemoved: 0, late: 0 };

async function run({ rules: initialRules, routes: modelRoutes, steps }: {
  rules: ModelRule[]; routes: ModelRoute[]; steps: Step[];
}): Promise<void> {
  const db = t.db;
  await db.none('TRUNCATE alert_notifications, alert_events, alert_state, alert_progress, devices, device_status_log');
  let now = T0;
  let modelRules = initialRules;
  let rules = rulesOf(modelRules);
  const routes = routesOf(modelRoutes);
  let engine = new AlertEngine(rules, now);
  const model = new AlertsModel(now, modelRules, modelRoutes);
  const received = new Map<string, ModelMessage[]>(modelRoutes.map((r) => [r.name, []]));
  const save = async (changes: Change[]) => void (await saveChanges(db, changes, rules, routes, now));
  const reading = async (d: string, v: number, ts: number) => {
    await save(engine.reading(d, 's', 'temperature', v, ts, now));
    model.reading(d, v, ts);
  };

  const history: string[] = [];
  for (const [n, s] of [...steps, ...ENDING].entries()) {
    history.push(`${n === steps.length ? '-- ending --\n' : ''}${JSON.stringify(s)}`);
    const d = s.op === 'tick' || s.op === 'restart' ? '' : DEVICES[s.device]!;
    switch (s.op) {
      case 'live':
        await reading(d, s.value, now);
        break;
      case 'burst':
        for (const [i, v] of s.values.entries())
          await reading(d, v, now - s.lagMs - (s.values.length - 1 - i) * s.spacingMs);
        break;
      case 'late': {
        const newest = model.newest(d);
        if (newest !== undefined) stats.late++;
        await reading(d, s.value, (newest ?? now) - s.agoMs);
        break;
      }
      case 'status':
        // As ingest keeps it: what a restarted worker reads back.
        await db.none(`INSERT INTO devices (device, first_seen, last_seen, status, status_changed_at) VALUES ($1, ` +
          `$2, $2, $3, $2)
          ON CONFLICT (device) DO UPDATE SET last_seen = $2, status = $3, status_changed_at = ` +
            `$2`, [d, new Date(now), s.online ? 'online' : 'offline']);
        await save(engine.status(d, s.online ? 'online' : 'offline', now));
        model.status(d, s.online);
        break;
      case 'tick':
        now += s.ms;
        await save(engine.tick(now));
        await saveProgress(db, engine.takeProgress()); // as the worker does at every tick
        model.tick(s.ms);
        break;
      case 'restart': {
        await saveProgress(db, engine.takeProgress()); // as the worker does when it stops
        now += RESTART_MS;
        const target = modelRules[Math.min(s.which, modelRules.length - 1)];
        if (target && s.change === 'remove') modelRules = modelRules.filter((r) => r !== target);
        if (target && s.change === 'rename')
          modelRules = modelRules.map((r) => (r === target ? { ...r, name: `${r.name}x` } : r));
        rules = rulesOf(modelRules);
        // As AlertsWorker.start does.
        engine = new AlertEngine(rules, now);
        const restored = await loadForRestore(db);
        const { owned, orphaned } = partitionByOwner(rules, restored.states);
        if (orphaned.length > 0) await resolveOrphaned(db, orphaned, routes, now);
        engine.restore(owned, restored.lastSeen, restored.offline, restored.progress);
        model.restart(RESTART_MS, modelRules);
        break;
      }
    }
    // The sender, at the clock.
    const due = await claimDue(db, now, 10_000);
    await markSent(db, due.map((n) => n.id), now);
    const got = new Map<string, ModelMessage[]>();
    for (const n of due) {
      const e = n.event;
      const m: ModelMessage = {
        kind: e.kind, rule: e.rule, device: e.device, at: e.at.getTime(), startedAt: e.started_at.getTime(),
        firedAt: e.fired_at!.getTime(), pastEpisode: e.past_episode ?? false, reason: e.reason ?? null,
      };
      got.set(n.route, [...(got.get(n.route) ?? []), m]);
      received.get(n.route)?.push(m);
    }
    const expected = model.deliver();
    const actual = byRoute(got);
    const wanted = byRoute(expected);
    if (JSON.stringify(actual) !== JSON.stringify(wanted)) {
      throw new Error(
        `after step ${n} at ${rel(now)}, the routes got\n${JSON.stringify(actual, null, 1)}\nbut the model ` +
          `says\n${JSON.stringify(wanted, null, 1)}\n` +
          `engine active: ${JSON.stringify(
            engine
              .active()
              .map((a) => `${a.key.rule} ${a.key.device} ${a.state.phase}`)
              .sort(),
          )}, model active: ${JSON.stringify(model.active())}\n` +
          `rules ${JSON.stringify(initialRules)}\nroutes ${JSON.stringify(modelRoutes)}\nsteps:\n${history.join('\n')}`,
      );
    }
  }

  // The contract, on what the routes really got: once the conditions have ended, every firing has
  // exactly one resolution after it (with sendResolved), none without; a past episode is one message;
  // a firing and its resolution both held by group wait are one message, the resolution.
  expect(engine.active()).toEqual([]);
  expect(model.active()).toEqual([]);
  expect(model.outboxEmpty()).toBe(true);
  expect(
    await db.one('SELECT count(*)::int AS n FROM alert_notifications WHERE sent_at IS NULL AND gave_up_at IS NULL'),
  ).toEqual({ n: 0 });
  for (const route of modelRoutes) {
    const messages = received.get(route.name)!;
    const episodes = new Map<string, string[]>();
    for (const m of messages) {
      const k = `${m.rule} ${m.device} ${m.firedAt}`;
      episodes.set(k, [...(episodes.get(k) ?? []), m.pastEpisode ? 'past' : m.kind]);
    }
    for (const [k, kinds] of episodes) {
      // A firing not yet sent when it resolved (group wait, or both between two rounds of the sender)
      // goes out as one message, the resolution. (Two episodes may share a firing time: a reading of
      // the same time as the one that ended the first.)
      // An MQTT route without sendResolved clears its retained message when the rule is removed.
      const one = route.sendResolved
        ? '(fired,resolved|resolved|past)'
        : route.mqtt
          ? '(fired,resolved|fired|resolved|past)'
          : '(fired|past)';
      const ok = new RegExp(`^${one}(,${one})*$`).test(kinds.join());
      if (!ok)
        throw new Error(`route ${route.name} (sendResolved ${route.sendResolved}) got ${kinds.join(', ')} for ${k}`);
    }
    stats.fired += messages.filter((m) => m.kind === 'fired').length;
    stats.resolved += messages.filter((m) => m.kind === 'resolved' && !m.pastEpisode).length;
    stats.pastEpisodes += messages.filter((m) => m.pastEpisode).length;
    stats.ruleRemoved += messages.filter((m) => m.reason).length;
  }
  stats.runs++;
}

test('the alerts engine and store notify each route as the model says (property, model-based)', async () => {
  const started = Date.now();
  await fc.assert(fc.asyncProperty(scenario, run), {
    examples: FOUND, seed: FUZZ_SEED, numRuns: RUNS, endOnFailure: process.env.ALERTS_MODEL_SHRINK === '0',
  });
  // Not a vacuous pass: firings, resolutions, past episodes and removed rules all happen.
  console.log(
    `alerts model: ${RUNS} runs, seed ${FUZZ_SEED}, ${((Date.now() - started) / 1000).toFixed(1)} ` +
      `s; ${JSON.stringify(stats)}`,
  );
  expect(stats.fired).toBeGreaterThan(RUNS / 2);
  expect(stats.pastEpisodes).toBeGreaterThan(0);
  expect(stats.ruleRemoved).toBeGreaterThan(0);
}, 30 * 60_000 + RUNS * 2_000);

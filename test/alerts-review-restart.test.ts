import { AlertEngine, type Change } from '../alerts/engine.js';
import { parseRoutes, type Route } from '../alerts/routes.js';
import { parseRules, type Rule } from '../alerts/rules.js';
import { claimDue } from '../alerts/delivery.js';
import { queueRepeats } from '../alerts/repeats.js';
import { loadForRestore, saveChanges } from '../alerts/store.js';
import { useFileDatabase } from './helpers/file-database.js';
import { parse } from './helpers/parsed.js';

/** Review of issue 24: a firing held by inhibition across a restart, while its device stays offline. */

const MIN = 60_000;
const NOW = Date.UTC(2026, 10, 20, 14);
const database = useFileDatabase();

const rules: Rule[] = parse(parseRules([
  { name: 'hot', type: 'threshold', select: '+/+/temperature', above: 30, for: '0s' },
]));
const routes: Route[] = parse(parseRoutes([
  {
    name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/hook', groupWait: 0, sendResolved: true,
    repeatInterval: '1m',
  },
]));
const sent = async (at: number) => (await claimDue(database.db, at)).map((d) => [d.route, d.event.kind]);

test(
  'a firing inhibited before a restart is not released while its device is still offline, and is once it is online',
  async () => {
    const engine = new AlertEngine(rules, NOW - MIN);
    const save = (c: Change[], at: number) => saveChanges(database.db, c, rules, routes, at);
    await save(engine.status('attic', 'offline', NOW), NOW);
    await database.db.none(
      'INSERT INTO devices (device, first_seen, last_seen, status, status_changed_at) '
        + "VALUES ('attic', $1, $1, 'offline', $1)",
      [new Date(NOW)],
    );
    await save(engine.reading('attic', 'dht22', 'temperature', 31, NOW + 1000, NOW + 1000), NOW + 1000);
    expect(await sent(NOW + 2000)).toEqual([]);
    const loaded = await loadForRestore(database.db);
    const restarted = new AlertEngine(rules, NOW + 10_000);
    restarted.restore(loaded.states, loaded.lastSeen, loaded.offline, loaded.progress);
    await save(restarted.tick(NOW + 11_000), NOW + 11_000);
    await save(restarted.tick(NOW + 20 * MIN), NOW + 20 * MIN);
    expect(await queueRepeats(database.db, rules, routes, NOW + 20 * MIN)).toBe(0);
    expect(await sent(NOW + 20 * MIN)).toEqual([]);
    await save(restarted.status('attic', 'online', NOW + 21 * MIN), NOW + 21 * MIN);
    expect(await sent(NOW + 21 * MIN)).toEqual([['hook', 'fired']]);
  },
);

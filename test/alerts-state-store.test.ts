import type { AlertKey } from '../alerts/engine.js';
import { loadStates, saveStates } from '../alerts/state-store.js';
import type { AlertState } from '../alerts/transitions.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';

// alerts/state-store.ts writes a transaction's states in one upsert and one delete: each alert must end
// as its last change left it, as when each change was written in turn.

let t: TestDatabase;
beforeAll(async () => {
  t = await createMigratedTestDatabase();
}, 60_000);
afterAll(async () => t?.stop());
beforeEach(async () => {
  await t.db.none('DELETE FROM alert_state');
});

const T0 = Date.UTC(2026, 10, 20, 12);
const hot: AlertKey = { rule: 'hot', device: 'attic', sensor: 'dht22', metric: 'temperature' };
const offline: AlertKey = { rule: 'gone', device: 'attic' };
const pending = (value: number): AlertState => ({ phase: 'pending', startedAt: T0, value });
const firing = (value: number): AlertState => ({ phase: 'firing', startedAt: T0, firedAt: T0 + 60_000, value });

test('an alert changed twice in one batch is stored as its last change left it', async () => {
  await saveStates(t.db, [
    { key: hot, state: pending(31) }, { key: hot, state: firing(32) }, { key: offline, state: pending(0) },
  ], T0);
  expect(await loadStates(t.db)).toEqual(expect.arrayContaining([
    { key: hot, state: firing(32) }, { key: offline, state: pending(0) },
  ]));
  await saveStates(t.db, [
    { key: hot, state: null }, { key: hot, state: pending(33) },
    { key: offline, state: firing(1) }, { key: offline, state: null },
  ], T0);
  expect(await loadStates(t.db)).toEqual([{ key: hot, state: pending(33) }]);
  await saveStates(t.db, [{ key: hot, state: firing(34) }, { key: hot, state: null }], T0);
  expect(await loadStates(t.db)).toEqual([]);
});

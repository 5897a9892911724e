import { databaseClaims } from '../broker/claims-db.js';
import { parseSources } from '../shared/sources/spec.js';
import { createMigratedTestDatabase, createTestDatabase, type TestDatabase } from './helpers/database.js';
import { accountsBroker, closedWithin, type AccountsBroker } from './support/accounts.js';

// Issue 23 and its review: the in-memory broker keeps who owns client ids and source devices in
// PostgreSQL (or PGlite), so a restart is no window for an account to take another's id or device.
let t: TestDatabase | undefined;
let b: AccountsBroker | undefined;
afterEach(async () => {
  await b?.close();
  b = undefined;
  await t?.stop();
  t = undefined;
});

const parsed = parseSources('zigbee2mqtt', 'UTC');
if (!parsed.ok) throw new Error(parsed.problems.join('; '));
const ACCOUNTS: Array<[string, 'device', 'zigbee2mqtt' | 'tasmota']> = [
  ['porch', 'device', 'tasmota'], ['zigbee2mqtt', 'device', 'zigbee2mqtt'], ['rogue', 'device', 'zigbee2mqtt'],
];

test('client ids and source devices stay their accounts\' across a restart of the in-memory broker', async () => {
  t = await createMigratedTestDatabase();
  const db = t.db;
  b = await accountsBroker(ACCOUNTS, { sources: parsed.value, claims: databaseClaims(db) });
  await (await b.connect('porch', { clientId: 'DVES_0A1B2C' })).endAsync();
  const bridge = await b.connect('zigbee2mqtt');
  await bridge.publishAsync('zigbee2mqtt/Shed', '{"temperature":8}', { qos: 1 });
  await b.close();
  // Restarted: nothing in memory, the claims come back from the database.
  b = await accountsBroker(ACCOUNTS, { sources: parsed.value, claims: databaseClaims(db) });
  await expect(b.connect('rogue', { clientId: 'DVES_0A1B2C' })).rejects.toThrow(/Identifier rejected/);
  expect((await b.connect('porch', { clientId: 'DVES_0A1B2C' })).connected).toBe(true);
  expect(await db.one("SELECT account FROM broker_claims WHERE key = 'device:Shed'")).toEqual({
    account: 'zigbee2mqtt',
  });
}, 60_000);

test('a database without the claims table (not migrated) keeps claims in memory and says so once', async () => {
  t = await createTestDatabase();
  let said = 0;
  b = await accountsBroker(ACCOUNTS, { sources: parsed.value, claims: databaseClaims(t.db, () => said++) });
  await (await b.connect('porch', { clientId: 'DVES_0A1B2C' })).endAsync();
  await expect(b.connect('rogue', { clientId: 'DVES_0A1B2C' })).rejects.toThrow(/Identifier rejected/);
  const rogue = await b.connect('rogue');
  expect(rogue.connected).toBe(true);
  expect(said).toBe(1);
}, 60_000);

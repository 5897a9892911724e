import bcrypt from 'bcryptjs';
import { addAccount, listAccountsForNats, revokeAccount, rotateAccount } from '../broker/accounts.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';

/**
 * Issue 29, item 3: the bcrypt hash `device export --nats` gives nats-server (schema 19) follows the
 * account's password: made at add, replaced at rotate, gone at revoke (a revoked account's hash is of no
 * use to anyone, and a copy of the database should not carry it).
 */
let t: TestDatabase;
beforeAll(async () => {
  t = await createMigratedTestDatabase();
});
afterAll(async () => {
  await t.stop();
});

const stored = async (name: string) =>
  (
    await t.db.one<{ nats_password_hash: string | null }>(
      'SELECT nats_password_hash FROM mqtt_accounts WHERE name = $1', [name],
    )
  ).nats_password_hash;

test('the bcrypt hash is the password\'s at add and rotate, and cleared at revoke', async () => {
  const first = await addAccount(t.db, 'kitchen', 'device');
  const atAdd = await stored('kitchen');
  expect(atAdd).toMatch(/^\$2[aby]\$10\$/);
  expect(await bcrypt.compare(first, atAdd!)).toBe(true);

  const second = await rotateAccount(t.db, 'kitchen');
  const atRotate = await stored('kitchen');
  expect(await bcrypt.compare(second, atRotate!)).toBe(true);
  expect(await bcrypt.compare(first, atRotate!)).toBe(false);

  await revokeAccount(t.db, 'kitchen');
  expect(await stored('kitchen')).toBeNull();
  expect((await listAccountsForNats(t.db)).map((a) => a.name)).not.toContain('kitchen');

  // Re-created after revoking: a new hash for the new password.
  const third = await addAccount(t.db, 'kitchen', 'device');
  expect(await bcrypt.compare(third, (await stored('kitchen'))!)).toBe(true);
});

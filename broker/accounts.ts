import type { Db } from '../shared/db.js';
import { generatePassword, hashPassword } from '../shared/password.js';
import { ROLES, type Role } from './policy.js';
import { nameProblem } from '../shared/contract.js';

export interface Account {
  name: string;
  role: Role;
  passwordHash: string;
  managedBy: string | null;
}

export class AccountError extends Error {}

/** Active accounts: what the broker authenticates against. */
export async function listAccounts(db: Db): Promise<Account[]> {
  return db.map(
    'SELECT name, role, password_hash, managed_by FROM mqtt_accounts WHERE revoked_at IS NULL ORDER BY name',
    [],
    (r: { name: string; role: Role; password_hash: string; managed_by: string | null }) => ({ name: r.name, role: r.role, passwordHash: r.password_hash, managedBy: r.managed_by }),
  );
}

/** Creates an account (or re-creates a revoked one) and returns its password, shown to the user once. */
export async function addAccount(db: Db, name: string, role: Role, managedBy: string | null = null): Promise<string> {
  if (!ROLES.includes(role)) throw new AccountError(`role "${role}" is not one of ${ROLES.join(', ')}`);
  const problem = nameProblem('device', name);
  if (problem) throw new AccountError(problem.replace('device name', 'account name'));
  const password = generatePassword();
  const created = await db.oneOrNone(
    `INSERT INTO mqtt_accounts (name, role, password_hash, managed_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, password_hash = EXCLUDED.password_hash,
       created_at = now(), rotated_at = NULL, revoked_at = NULL, managed_by = EXCLUDED.managed_by
     WHERE mqtt_accounts.revoked_at IS NOT NULL
     RETURNING name`,
    [name, role, await hashPassword(password), managedBy],
  );
  if (!created) throw new AccountError(`account ${name} exists; \`pimonitor device rotate ${name}\` gives it a new password`);
  return password;
}

/** A new password for an account; the old one stops working within the broker's refresh interval. */
export async function rotateAccount(db: Db, name: string): Promise<string> {
  const password = generatePassword();
  const rotated = await db.oneOrNone(
    'UPDATE mqtt_accounts SET password_hash = $2, rotated_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING name',
    [name, await hashPassword(password)],
  );
  if (!rotated) throw new AccountError(`no active account named ${name} (see \`pimonitor device list\`)`);
  return password;
}

export async function revokeAccount(db: Db, name: string): Promise<void> {
  const revoked = await db.oneOrNone('UPDATE mqtt_accounts SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING name', [name]);
  if (!revoked) throw new AccountError(`no active account named ${name} (see \`pimonitor device list\`)`);
}

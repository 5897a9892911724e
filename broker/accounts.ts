import type { Db } from '../shared/db.js';
import bcrypt from 'bcryptjs';
import { generatePassword, hashPassword } from '../shared/password.js';
import { DEVICE_KINDS, NAME_ROOTED_KINDS, RESERVED_ROOTS, ROLES, type DeviceKind, type Role } from './policy.js';
import { nameProblem } from '../shared/contract.js';
import type { ExportedAccount } from './nats-config.js';

export interface Account {
  name: string;
  role: Role;
  /** The device's firmware, which decides its topics; `pimonitor` (the default) for service accounts. */
  kind?: DeviceKind;
  passwordHash: string;
  managedBy: string | null;
}

export class AccountError extends Error {}

/**
 * The same password as a bcrypt hash, for nats-server's users (`device export --nats`; schema 19). Cost 10:
 * the passwords are 144 random bits, which no cost makes guessable or not, and nats-server checks the hash
 * at every connect (a Pi's NATS node included).
 */
const natsHash = (password: string) => bcrypt.hash(password, 10);

/** Active accounts: what the broker authenticates against. */
export async function listAccounts(db: Db): Promise<Account[]> {
  return db.map(
    'SELECT name, role, kind, password_hash, managed_by FROM mqtt_accounts WHERE revoked_at IS NULL ORDER BY name',
    [],
    (r: { name: string; role: Role; kind: DeviceKind; password_hash: string; managed_by: string | null }) => ({ name: r.name, role: r.role, kind: r.kind, passwordHash: r.password_hash, managedBy: r.managed_by }),
  );
}

/** Active accounts with their bcrypt hashes (null before schema 19), for `device export --nats`. */
export async function listAccountsForNats(db: Db): Promise<ExportedAccount[]> {
  return db.map(
    'SELECT name, role, kind, nats_password_hash, managed_by FROM mqtt_accounts WHERE revoked_at IS NULL ORDER BY name',
    [],
    (r: { name: string; role: Role; kind: DeviceKind; nats_password_hash: string | null; managed_by: string | null }) => ({ name: r.name, role: r.role, kind: r.kind, natsPasswordHash: r.nats_password_hash, managedBy: r.managed_by }),
  );
}

/** Creates an account (or re-creates a revoked one) and returns its password, shown to the user once. */
export async function addAccount(db: Db, name: string, role: Role, managedBy: string | null = null, kind: DeviceKind = 'pimonitor'): Promise<string> {
  if (!ROLES.includes(role)) throw new AccountError(`role "${role}" is not one of ${ROLES.join(', ')}`);
  if (!DEVICE_KINDS.includes(kind)) throw new AccountError(`kind "${kind}" is not one of ${DEVICE_KINDS.join(', ')}`);
  if (kind !== 'pimonitor' && role !== 'device') throw new AccountError(`--kind ${kind} is for device accounts; a ${role} account has no kind`);
  const problem = nameProblem('device', name);
  if (problem) throw new AccountError(problem.replace('device name', 'account name'));
  if (NAME_ROOTED_KINDS.includes(kind) && RESERVED_ROOTS.includes(name)) {
    throw new AccountError(`a ${kind} account publishes under <name>/, and ${name}/ is ${name === 'home' || name === 'pimonitor' ? "pimonitor's own" : 'another project\'s'} topic tree: choose another name`);
  }
  const password = generatePassword();
  const created = await db.oneOrNone(
    `INSERT INTO mqtt_accounts (name, role, password_hash, managed_by, kind, nats_password_hash) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, kind = EXCLUDED.kind, password_hash = EXCLUDED.password_hash,
       nats_password_hash = EXCLUDED.nats_password_hash,
       created_at = now(), rotated_at = NULL, revoked_at = NULL, managed_by = EXCLUDED.managed_by
     WHERE mqtt_accounts.revoked_at IS NOT NULL
     RETURNING name`,
    [name, role, await hashPassword(password), managedBy, kind, await natsHash(password)],
  );
  if (!created) throw new AccountError(`account ${name} exists; \`pimonitor device rotate ${name}\` gives it a new password`);
  return password;
}

/** A new password for an account; the old one stops working within the broker's refresh interval. */
export async function rotateAccount(db: Db, name: string): Promise<string> {
  const password = generatePassword();
  const rotated = await db.oneOrNone(
    'UPDATE mqtt_accounts SET password_hash = $2, nats_password_hash = $3, rotated_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING name',
    [name, await hashPassword(password), await natsHash(password)],
  );
  if (!rotated) throw new AccountError(`no active account named ${name} (see \`pimonitor device list\`)`);
  return password;
}

/** Revokes an account; its bcrypt hash for NATS goes too (the export leaves it out either way). */
export async function revokeAccount(db: Db, name: string): Promise<void> {
  const revoked = await db.oneOrNone('UPDATE mqtt_accounts SET revoked_at = now(), nats_password_hash = NULL WHERE name = $1 AND revoked_at IS NULL RETURNING name', [name]);
  if (!revoked) throw new AccountError(`no active account named ${name} (see \`pimonitor device list\`)`);
}

import type { Db } from '../shared/db.js';
import bcrypt from 'bcryptjs';
import { generatePassword, hashPassword } from '../shared/password.js';
import { sqlFile } from '../shared/sql-file.js';
import { DEVICE_KINDS, NAME_ROOTED_KINDS, RESERVED_ROOTS, ROLES, type DeviceKind, type Role } from './policy.js';
import { nameProblem } from '../shared/contract.js';
import type { ExportedAccount } from './nats-config.js';

const SQL = {
  active: sqlFile('broker', 'accounts-active.sql'),
  forNats: sqlFile('broker', 'accounts-for-nats.sql'),
  all: sqlFile('broker', 'accounts-all.sql'),
  add: sqlFile('broker', 'account-add.sql'),
  rotate: sqlFile('broker', 'account-rotate.sql'),
  revoke: sqlFile('broker', 'account-revoke.sql'),
};

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
  type Row = { name: string; role: Role; kind: DeviceKind; password_hash: string; managed_by: string | null };
  return db.map(SQL.active, [], (r: Row) => ({
    name: r.name, role: r.role, kind: r.kind, passwordHash: r.password_hash, managedBy: r.managed_by,
  }));
}

/** Active accounts with their bcrypt hashes (null before schema 19), for `device export --nats`. */
export async function listAccountsForNats(db: Db): Promise<ExportedAccount[]> {
  type Row = {
    name: string; role: Role; kind: DeviceKind; nats_password_hash: string | null; managed_by: string | null;
  };
  return db.map(SQL.forNats, [], (r: Row) => ({
    name: r.name, role: r.role, kind: r.kind, natsPasswordHash: r.nats_password_hash, managedBy: r.managed_by,
  }));
}

/** Every account, revoked ones too, as `pimonitor device list` shows them. */
export interface AccountRecord {
  name: string;
  role: string;
  kind: string;
  created_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
  managed_by: string | null;
}

export async function listAllAccounts(db: Db): Promise<AccountRecord[]> {
  return db.any<AccountRecord>(SQL.all);
}

/** Creates an account (or re-creates a revoked one) and returns its password, shown to the user once. */
export async function addAccount(
  db: Db, name: string, role: Role, managedBy: string | null = null, kind: DeviceKind = 'pimonitor',
): Promise<string> {
  if (!ROLES.includes(role)) throw new AccountError(`role "${role}" is not one of ${ROLES.join(', ')}`);
  if (!DEVICE_KINDS.includes(kind)) throw new AccountError(`kind "${kind}" is not one of ${DEVICE_KINDS.join(', ')}`);
  if (kind !== 'pimonitor' && role !== 'device') {
    throw new AccountError(`--kind ${kind} is for device accounts; a ${role} account has no kind`);
  }
  const problem = nameProblem('device', name);
  if (problem) throw new AccountError(problem.replace('device name', 'account name'));
  if (NAME_ROOTED_KINDS.includes(kind) && RESERVED_ROOTS.includes(name)) {
    const owner = name === 'home' || name === 'pimonitor' ? "pimonitor's own" : 'another project\'s';
    throw new AccountError(
      `a ${kind} account publishes under <name>/, and ${name}/ is ${owner} topic tree: choose another name`,
    );
  }
  const password = generatePassword();
  const created = await db.oneOrNone(SQL.add, {
    name, role, managedBy, kind, passwordHash: await hashPassword(password), natsPasswordHash: await natsHash(password),
  });
  if (!created) {
    throw new AccountError(`account ${name} exists; \`pimonitor device rotate ${name}\` gives it a new password`);
  }
  return password;
}

/** A new password for an account; the old one stops working within the broker's refresh interval. */
export async function rotateAccount(db: Db, name: string): Promise<string> {
  const password = generatePassword();
  const rotated = await db.oneOrNone(SQL.rotate, {
    name, passwordHash: await hashPassword(password), natsPasswordHash: await natsHash(password),
  });
  if (!rotated) throw new AccountError(`no active account named ${name} (see \`pimonitor device list\`)`);
  return password;
}

/** Revokes an account; its bcrypt hash for NATS goes too (the export leaves it out either way). */
export async function revokeAccount(db: Db, name: string): Promise<void> {
  const revoked = await db.oneOrNone(SQL.revoke, { name });
  if (!revoked) throw new AccountError(`no active account named ${name} (see \`pimonitor device list\`)`);
}

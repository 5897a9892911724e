import type { Db } from '../shared/db.js';
import { sqlFile as sqlFileIn } from '../shared/sql-file.js';
import type { ClaimBackend } from './claims.js';

const sqlFile = (name: string) => sqlFileIn('broker', name);
const LOAD = sqlFile('load-claims.sql');
const CLAIM = sqlFile('claim.sql');
const RELEASE = sqlFile('release-claim.sql');
const TRANSFER = sqlFile('transfer-claim.sql');

/** PostgreSQL's "undefined_table": the schema is older than the claims (nothing migrated yet). */
const UNDEFINED_TABLE = '42P01';

type ClaimRow = { key: string; account: string };

/**
 * Claims of client ids and source devices in PostgreSQL (broker_claims), for the in-memory broker:
 * they outlive its restarts, as the accounts and devices they guard do. Retained topics' claims stay
 * in memory, as the retained messages do. Without the table (a database not migrated yet) the claims
 * are kept in memory only, and `onMissing` says so once.
 */
export function databaseClaims(db: Db, onMissing: () => void = () => {}): ClaimBackend {
  let missing = false;
  const orMemory = async <T>(query: () => Promise<T>, memory: T): Promise<T> => {
    if (missing) return memory;
    try {
      return await query();
    } catch (err) {
      if ((err as { code?: string }).code !== UNDEFINED_TABLE) throw err;
      missing = true;
      onMissing();
      return memory;
    }
  };
  return {
    keeps: (key) => key.startsWith('client:') || key.startsWith('device:'),
    load: () =>
      orMemory(() => db.map(LOAD, [], (row: ClaimRow) => [row.key, row.account] as [string, string]), []),
    claim: (key, account) =>
      orMemory(async () => (await db.one<{ account: string }>(CLAIM, { key, account })).account, account),
    release: (key, account) => orMemory(async () => void (await db.none(RELEASE, { key, account })), undefined),
    transfer: (key, from, to) =>
      orMemory(async () => (await db.one<{ account: string }>(TRANSFER, { key, from, to })).account, to),
  };
}

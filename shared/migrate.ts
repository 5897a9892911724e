import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { backoffMs } from './backoff.js';
import { classifyDbError } from './db-errors.js';
import { connect, disconnect, pgp, type Db } from './db.js';
import type { Logger } from './log.js';
import { redactUrl } from './redact.js';
import { SQL_DIR } from './paths.js';
import { sqlFile } from './sql-file.js';
import { syncMetricUnits } from './unit-sync.js';

/** Serialises migrations between processes (two ingest workers starting at once). Any constant will do. */
const MIGRATION_LOCK_KEY = 0x70_69_6d_6f; // "pimo"
const MIGRATION_FILE = /^(\d{3})_[a-z0-9_]+\.sql$/;

/** The bookkeeping around the migrations; the migrations themselves are read from `dir` as they run. */
const SQL = {
  lock: sqlFile('shared', 'advisory-xact-lock.sql'),
  table: sqlFile('shared', 'migrations-table.sql'),
  applied: sqlFile('shared', 'migration-applied.sql'),
  record: sqlFile('shared', 'migration-record.sql'),
  version: sqlFile('shared', 'schema-version.sql'),
};

export interface Migration {
  version: number;
  name: string;
  path: string;
}

export interface MigrationResult {
  applied: Migration[];
  /** The schema version of the database after the run. */
  version: number;
  /** Set when the database has versions this code does not know: it was migrated by a newer pimonitor. */
  newerThanCode: boolean;
}

export function listMigrations(dir = SQL_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .map((name) => ({ name, match: MIGRATION_FILE.exec(name) }))
    .filter((f) => f.match)
    .map((f) => ({ version: Number(f.match![1]), name: f.name, path: join(dir, f.name) }))
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version === i + 1) return;
    const expected = String(i + 1).padStart(3, '0');
    throw new Error(
      `migration ${m.name}: expected version ${expected} (versions must run 001, 002, … without gaps or repeats)`,
    );
  });
  return migrations;
}

/**
 * Applies the migrations the database lacks, each in its own transaction under an advisory lock,
 * recording each in schema_migrations. Safe to run again and from several processes at once.
 */
export async function migrate(
  db: Db, onApplied: (m: Migration) => void = () => {}, dir = SQL_DIR,
): Promise<MigrationResult> {
  const migrations = listMigrations(dir);
  await db.tx(async (t) => {
    await t.one(SQL.lock, { key: MIGRATION_LOCK_KEY });
    await t.none(SQL.table);
  });
  const applied: Migration[] = [];
  for (const migration of migrations) {
    const ran = await db.tx(async (t) => {
      await t.one(SQL.lock, { key: MIGRATION_LOCK_KEY });
      if (await t.oneOrNone(SQL.applied, { version: migration.version })) return false;
      // A file of its own kind, not sqlFile's: read by path from `dir` (a test's directory too), when it runs,
      // unminified, and its failure named after the migration.
      const file = new pgp.QueryFile(migration.path, { minify: false, noWarnings: true });
      if (file.error) throw new Error(`migration ${migration.name}: ${file.error.message}`);
      await t.multi(file); // a migration may SELECT a function for its effect
      await t.none(SQL.record, { version: migration.version, name: migration.name });
      return true;
    });
    if (ran) {
      applied.push(migration);
      onApplied(migration);
    }
  }
  const { version } = await db.one<{ version: number }>(SQL.version);
  // The units table is the code's (shared/units.ts); a test's own migration directory has none.
  if (version === migrations.length && dir === SQL_DIR) await syncMetricUnits(db, MIGRATION_LOCK_KEY);
  return { applied, version, newerThanCode: version > migrations.length };
}

/**
 * For the long-running workers: migrates on a connection of its own without a query timeout (a
 * migration may rewrite a large table), waiting with backoff while the database is not reachable yet
 * (a Pi that boots its workers before PostgreSQL). Anything else (a broken migration) is thrown.
 */
export async function migrateWhenReachable(
  url: string,
  { connectTimeoutMs, applicationName, log }: { connectTimeoutMs: number; applicationName: string; log: Logger },
): Promise<void> {
  const db = connect(url, { poolSize: 1, applicationName, queryTimeoutMs: 0, connectTimeoutMs });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await migrate(db, (m) => log.info({ migration: m.name }, 'applied migration'));
        if (result.newerThanCode) {
          log.warn({ version: result.version }, 'the database schema is newer than this pimonitor; upgrade pimonitor');
        }
        return;
      } catch (err) {
        if (classifyDbError(err) !== 'transient') throw err;
        const retryInMs = backoffMs(attempt);
        const why = { database: redactUrl(url), err: (err as Error).message, retryInMs };
        log.warn(why, 'database not reachable yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, retryInMs));
      }
    }
  } finally {
    await disconnect(db);
  }
}

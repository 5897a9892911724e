import type { Config } from '../config/index.js';
import { databaseUrlOf } from '../config/database-url.js';
import type { Db } from '../shared/db.js';
import type { Migration, MigrationResult } from '../shared/migrate.js';
import { ExpectedError } from '../shared/expected-error.js';

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN']);

/** A connection that never opened, said in words, with what to do; null for any other error. */
function unreachable(err: unknown, url: string, embedded: boolean): ExpectedError | null {
  const code = (err as { code?: string })?.code;
  const timedOut = err instanceof Error && /timeout/i.test(err.message);
  if (!(code && UNREACHABLE.has(code)) && !timedOut) return null;
  return new ExpectedError(embedded
    ? `cannot reach the embedded database at ${url} (${code ?? 'timeout'}): start it with \`pimonitor up\` (or \`npm start\`), or set DATABASE_URL to your PostgreSQL`
    : `cannot reach the database at ${url} (${code ?? 'timeout'}): is PostgreSQL running, and is DATABASE_URL right?`);
}

/**
 * For one-shot commands: connects to the configured database, brings its schema up to date, runs
 * `work`, and disconnects whatever happens.
 */
export async function withMigratedDatabase<T>(
  config: Config,
  applicationName: string,
  work: (db: Db, migrated: MigrationResult & { url: string }) => Promise<T>,
  onApplied: (m: Migration) => void = () => {},
): Promise<T> {
  const { connect, disconnect, redactUrl } = await import('../shared/db.js');
  const { migrate } = await import('../shared/migrate.js');
  const url = databaseUrlOf(config);
  const db = connect(url, { poolSize: 1, applicationName, queryTimeoutMs: 0, connectTimeoutMs: config.database.connectTimeoutMs });
  try {
    let migrated: MigrationResult;
    try {
      migrated = await migrate(db, onApplied);
    } catch (err) {
      throw unreachable(err, redactUrl(url), !config.database.url) ?? err;
    }
    return await work(db, { ...migrated, url });
  } finally {
    await disconnect(db);
  }
}

import type { Config } from '../config/index.js';
import { databaseUrlOf } from '../config/database-url.js';
import type { Db } from '../shared/db.js';
import type { Migration, MigrationResult } from '../shared/migrate.js';

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
  const { connect, disconnect } = await import('../shared/db.js');
  const { migrate } = await import('../shared/migrate.js');
  const url = databaseUrlOf(config);
  const db = connect(url, { poolSize: 1, applicationName, queryTimeoutMs: 0 });
  try {
    return await work(db, { ...(await migrate(db, onApplied)), url });
  } finally {
    await disconnect(db);
  }
}

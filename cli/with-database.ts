import type { Config } from '../config/index.js';
import { databaseUrlOf } from '../config/database-url.js';
import type { Db } from '../shared/db.js';
import type { Migration, MigrationResult } from '../shared/migrate.js';
import { ExpectedError } from '../shared/expected-error.js';
import { databaseProblem } from '../shared/database-problem.js';

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
  const db = connect(url, {
    poolSize: 1,
    applicationName,
    queryTimeoutMs: 0,
    connectTimeoutMs: config.database.connectTimeoutMs,
  });
  try {
    let migrated: MigrationResult;
    try {
      migrated = await migrate(db, onApplied);
    } catch (err) {
      const problem = databaseProblem(err, { url: redactUrl(url), embedded: !config.database.url });
      throw problem ? new ExpectedError(problem) : err;
    }
    return await work(db, { ...migrated, url });
  } finally {
    await disconnect(db);
  }
}

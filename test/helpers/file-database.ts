import type { Db } from '../../shared/db.js';
import { createMigratedTestDatabase, type TestDatabase } from './database.js';

/**
 * Registers beforeAll and afterAll: one migrated test database for the whole file (PostgreSQL when
 * DATABASE_URL is set, else PGlite), stopped after its last test. `db` is that database's, from beforeAll on.
 */
export function useFileDatabase(): { readonly db: Db } {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createMigratedTestDatabase();
  }, 60_000);
  afterAll(async () => database?.stop());
  return {
    get db(): Db {
      if (!database) throw new Error('useFileDatabase: the database is opened in beforeAll');
      return database.db;
    },
  };
}

import { database as databaseSettings } from '../../config/database.js';
import { createScratchDatabase } from '../support/scratch-database.js';
import { connect, disconnect, type Db } from '../../shared/db.js';
import { startEmbeddedDatabase } from '../../shared/embedded-db.js';
import { migrate } from '../../shared/migrate.js';
import { isEngineIndependent } from '../support/engine-independent.mjs';

export interface TestDatabase {
  url: string;
  db: Db;
  stop(): Promise<void>;
}

/**
 * A fresh, empty database for one test file: a new database on the PostgreSQL at DATABASE_URL when it
 * is set (CI's first run), otherwise a throwaway in-memory PGlite served over its socket, so the code
 * under test talks the wire protocol either way.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const file = expect.getState().testPath;
  if (file && isEngineIndependent(file))
    throw new Error(
      `${file} is marked engine-independent but opens a database: remove the mark, or the PGlite pass skips it`,
    );
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const scratch = await createScratchDatabase(serverUrl, 'pimonitor_test');
    return { url: scratch.url, db: scratch.db, stop: () => scratch.drop() };
  }
  // The production memory settings, but with V8's optimizing compiler for PGlite's code: tests push
  // thousands of readings through it, about 1.5 times faster so (`pimonitor up` in test/cli.test.ts runs the default).
  const embedded = await startEmbeddedDatabase({
    dataDir: 'memory://', host: '127.0.0.1', port: 0, maxConnections: 16,
    sharedBuffersMb: databaseSettings.database.embedded.sharedBuffersMb.default, wasmTierUp: true,
  });
  const db = connect(embedded.url);
  return {
    url: embedded.url,
    db,
    async stop() {
      await disconnect(db);
      await embedded.stop();
    },
  };
}

/** A fresh database with pimonitor's schema; stopped again if migrating fails. */
export async function createMigratedTestDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase();
  try {
    await migrate(database.db);
    return database;
  } catch (err) {
    await database.stop();
    throw err;
  }
}

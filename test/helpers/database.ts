import { randomBytes } from 'node:crypto';
import { connect, disconnect, type Db } from '../../shared/db.js';
import { startEmbeddedDatabase } from '../../shared/embedded-db.js';

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
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const admin = connect(serverUrl, { poolSize: 1 });
    const name = `pimonitor_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    await admin.none('CREATE DATABASE $1:name', [name]);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const db = connect(url.toString());
    return {
      url: url.toString(),
      db,
      async stop() {
        await disconnect(db);
        // Not WITH (FORCE): that would hide a connection the code under test forgot to close.
        await admin.none('DROP DATABASE IF EXISTS $1:name', [name]);
        await disconnect(admin);
      },
    };
  }
  const embedded = await startEmbeddedDatabase({ dataDir: 'memory://', host: '127.0.0.1', port: 0, maxConnections: 16 });
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

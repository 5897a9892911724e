import { randomBytes } from 'node:crypto';
import { connect, disconnect, type Db } from '../../shared/db.js';

export interface ScratchDatabase {
  url: string;
  db: Db;
  /** Disconnects and drops the database. */
  drop(): Promise<void>;
}

/** A new, empty database on the PostgreSQL server at `serverUrl`, for one test file or one benchmark run. */
export async function createScratchDatabase(serverUrl: string, prefix: string, poolSize = 4): Promise<ScratchDatabase> {
  const admin = connect(serverUrl, { poolSize: 1 });
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin.none('CREATE DATABASE $1:name', [name]);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = connect(url.toString(), { poolSize });
  return {
    url: url.toString(),
    db,
    async drop() {
      await disconnect(db);
      // Not WITH (FORCE): that would hide a connection the code under test forgot to close.
      await admin.none('DROP DATABASE IF EXISTS $1:name', [name]);
      await disconnect(admin);
    },
  };
}

import pgPromise from 'pg-promise';
import type { IDatabase } from 'pg-promise';

/** One pg-promise instance per process (pg-promise's rule); each component gets one `Db` from it. */
export const pgp = pgPromise({ capSQL: true, noWarnings: true });
export type Db = IDatabase<object>;

export interface DbOptions {
  /** Connections in the pool; ingest writes one batch at a time, so a few suffice. */
  poolSize?: number;
  /** Shown in pg_stat_activity, so an operator can tell our connections apart. */
  applicationName?: string;
}

export function connect(url: string, { poolSize = 4, applicationName = 'pimonitor' }: DbOptions = {}): Db {
  return pgp({ connectionString: url, max: poolSize, application_name: applicationName });
}

export async function disconnect(db: Db): Promise<void> {
  await db.$pool.end();
}

export { redactUrl } from './redact.js';

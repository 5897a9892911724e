import pgPromise from 'pg-promise';
import type { IDatabase } from 'pg-promise';
import { withTimeout } from './timeout.js';

/** The pg Client fields we touch when a query times out (pg has no public API for it). */
interface PgClientInternals {
  connection?: { stream?: { destroy(): void } };
  $connectionError?: unknown;
}

/**
 * One pg-promise instance per process (pg-promise's rule); each component gets one `Db` from it.
 *
 * pg's `query_timeout` rejects a query that got no answer, but leaves its connection in the pool; on a
 * half-open connection (a peer that stopped answering without closing) the transaction's ROLLBACK and
 * every later query on it would hang in turn. So a timed-out connection is destroyed here, and marked
 * so that pg-promise releases it as broken (pg-promise only does that for SQLSTATE 08/57 and ECONNRESET,
 * lib/utils isConnectivityError).
 */
export const pgp = pgPromise({
  capSQL: true,
  noWarnings: true,
  error(err: unknown, context: { client?: unknown }) {
    if (!(err instanceof Error) || !/query read timeout/i.test(err.message) || !context.client) return;
    const client = context.client as PgClientInternals;
    client.$connectionError = err;
    client.connection?.stream?.destroy();
  },
});
export type Db = IDatabase<object>;

export interface DbOptions {
  /** Connections in the pool; ingest writes one batch at a time, so a few suffice. */
  poolSize?: number;
  /** Shown in pg_stat_activity, so an operator can tell our connections apart. */
  applicationName?: string;
  /** A query with no answer for this long fails (and its connection is dropped); 0 waits forever (migrations). */
  queryTimeoutMs?: number;
  /** Opening a connection fails after this long. */
  connectTimeoutMs?: number;
}

export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** TCP keepalive probes start after this much idle time, so a vanished server is noticed between batches. */
const KEEPALIVE_IDLE_MS = 10_000;

export function connect(url: string, {
  poolSize = 4,
  applicationName = 'pimonitor',
  queryTimeoutMs = DEFAULT_QUERY_TIMEOUT_MS,
  connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
}: DbOptions = {}): Db {
  return pgp({
    connectionString: url,
    max: poolSize,
    application_name: applicationName,
    connectionTimeoutMillis: connectTimeoutMs,
    query_timeout: queryTimeoutMs || undefined,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
  });
}

/**
 * Destroys a pg client's socket. Ending it instead (pg sends Terminate and waits for the server to
 * close) waits forever on a server that stopped answering.
 */
export function destroySocketOf(client: unknown): void {
  (client as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/**
 * Ends the pool within `timeoutMs`; a server that stopped answering (half-open) never closes its
 * connections, so after the deadline the remaining sockets are destroyed and a stop honours its own.
 */
export async function disconnect(db: Db, timeoutMs = 2000): Promise<void> {
  const pool = db.$pool as unknown as { end(): Promise<void>; _clients?: unknown[] };
  const ended = pool.end().catch(() => {});
  try {
    await withTimeout(ended, timeoutMs, 'closing the database pool');
  } catch {
    for (const client of pool._clients ?? []) destroySocketOf(client);
    await withTimeout(ended, 100).catch(() => {});
  }
}

export { redactUrl } from './redact.js';

import type { Config } from './index.js';

/** Where to find the database: DATABASE_URL, or else the embedded database that `pimonitor up` serves. */
export function databaseUrlOf(config: Config): string {
  const { url, embedded } = config.database;
  const host = embedded.host === '0.0.0.0' ? '127.0.0.1' : embedded.host;
  return url || `postgres://postgres@${host}:${embedded.port}/postgres`;
}

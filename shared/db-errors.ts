/**
 * The one decision about a failed database call, used by ingest's writes, ingest's start-up and the
 * broker's account reload. Pure.
 *
 * - 'transient': the database, or the way to it, is unwell: the same call succeeds later, so retry with
 *   backoff. Connection failures and timeouts (SQLSTATE 08*, 53* out of resources, 57* operator
 *   intervention such as pg_terminate_backend or a cancelled statement, 40* serialization, socket
 *   errors, pg's and pg-promise's own timeout and pool messages), and faults of the database's setup
 *   that no message can cause (a table dropped by hand, a revoked permission, a read-only server):
 *   readings wait in the spool for the operator instead of being rejected for what is not theirs.
 * - 'permanent': anything else, including any exception thrown while building a batch. It is the
 *   batch's fault: split it and isolate the message. Telegraf's PostgreSQL output (`isTempError`)
 *   treats unknown errors as permanent for the same reason: retrying content forever stops everything.
 */
export type DbErrorKind = 'transient' | 'permanent';

const TRANSIENT_CLASSES = ['08', '53', '57', '40', '58'];
const TRANSIENT_STATES = new Set([
  '42P01', // undefined_table: dropped or renamed by hand
  '42703', // undefined_column
  '42883', // undefined_function: an extension removed
  '42501', // insufficient_privilege: a revoked grant
  '3D000', // invalid_catalog_name: the database itself is gone
  '3F000', // invalid_schema_name
  '25006', // read_only_sql_transaction: a standby, or default_transaction_read_only
  '55P03', // lock_not_available
  '55000', // object_not_in_prerequisite_state (e.g. a partition being detached)
]);
const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'ECONNABORTED',
]);
const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /connection (timeout|timed out)/i,
  /timeout expired/i,
  /query read timeout/i,
  /client has encountered a connection error/i,
  /client was closed/i,
  /cannot use a pool after calling end/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /database call timed out/i,
];

export function classifyDbError(err: unknown): DbErrorKind {
  if (err === null || typeof err !== 'object') return 'permanent';
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    // Socket codes first: EPIPE is five capitals too.
    if (TRANSIENT_SOCKET_CODES.has(code)) return 'transient';
    if (/^[0-9A-Z]{5}$/.test(code)) {
      return TRANSIENT_CLASSES.includes(code.slice(0, 2)) || TRANSIENT_STATES.has(code) ? 'transient' : 'permanent';
    }
  }
  const message = (err as { message?: unknown }).message;
  if (typeof message === 'string' && TRANSIENT_MESSAGES.some((pattern) => pattern.test(message))) return 'transient';
  return 'permanent';
}

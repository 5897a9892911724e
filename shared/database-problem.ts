/**
 * What to tell a user whose database refused or could not be reached (a role or database not created
 * yet, a wrong password, a server not running), in words with what to do, instead of a driver's stack
 * trace. Pure; null for any other error. `at` names the database when the caller knows it.
 */
export interface DatabaseAt {
  /** The URL, password redacted. */
  url: string;
  /** The embedded PGlite of `pimonitor up`, not a DATABASE_URL. */
  embedded: boolean;
}

const SETTING = 'DATABASE_URL (database.url)';
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN']);

/** Refusals by SQLSTATE: the server's own message, and what to do. */
const REFUSED: Readonly<Record<string, string>> = {
  '28000': `create the role on the server (\`sudo -u postgres createuser <user>\`) or fix the user in ${SETTING}`,
  '28P01': `check the password in ${SETTING}`,
  '3D000': `create it on the server (\`sudo -u postgres createdb -O <user> <name>\`) or fix the name in ${SETTING}`,
  '42501': `the user in ${SETTING} must own the database (\`createdb -O <user>\`) or have CREATE on it`,
};

export function databaseProblem(err: unknown, at?: DatabaseAt, depth = 0): string | null {
  if (!err || typeof err !== 'object') return null;
  const { code, message, errors } = err as { code?: unknown; message?: unknown; errors?: unknown };
  const where = at ? ` at ${at.url}` : '';
  if (typeof code === 'string' && typeof message === 'string' && REFUSED[code]) {
    return `the database${where} refused: ${message}; ${REFUSED[code]}`;
  }
  const timedOut = err instanceof Error && /timeout/i.test(err.message);
  if ((typeof code === 'string' && UNREACHABLE.has(code)) || timedOut) {
    const why = typeof code === 'string' ? code : 'timeout';
    return at?.embedded
      ? `cannot reach the embedded database${where} (${why}): start it with \`pimonitor up\` (or \`npm start\`), `
        + 'or set DATABASE_URL to your PostgreSQL'
      : `cannot reach the database${where} (${why}): is PostgreSQL running, and is DATABASE_URL right?`;
  }
  // Node reports a refused connection to a name with several addresses (localhost) as an AggregateError.
  if (Array.isArray(errors) && depth < 2) for (const inner of errors) {
    const found = databaseProblem(inner, at, depth + 1);
    if (found) return found;
  }
  return null;
}

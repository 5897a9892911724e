import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { listAccounts } from '../broker/accounts.js';
import type { Db } from '../shared/db.js';
import { hashPassword, verifyPassword } from '../shared/password.js';

/** Password checks running at once: each is a 16 MiB scrypt of about 50 ms (hundreds on a Pi). */
export const MAX_CONCURRENT_CHECKS = 2;
/** Checks waiting for a turn; beyond, a login is answered 503 at once rather than late. */
export const MAX_QUEUED_CHECKS = 16;
/** Logins of one client being checked or answered at once; beyond, 429 at once. */
export const MAX_CHECKS_PER_CLIENT = 2;
/** Wrong passwords a client may give before it must wait between attempts; the wait doubles from 1 s to 5 min. */
export const FREE_FAILURES = 3;
const BACKOFF = { initialMs: 1000, maxMs: 5 * 60_000 };
/** Clients whose failures are remembered; the oldest is forgotten beyond. */
const MAX_CLIENTS_TRACKED = 10_000;
const MAX_REMEMBERED_LOGINS = 1000;

export interface WebAuthOptions {
  now?: () => number;
  /** A failed login is answered this late. */
  failureDelayMs?: number;
  /** How often reader accounts are reloaded: how long a revoked or rotated password keeps working at most. */
  refreshMs?: number;
}

export type AuthAnswer = { ok: true } | { ok: false; status: 401 | 429 | 503; error: string; retryAfterS?: number };

/** How many checks ran, and how many were refused before one. For tests and the log. */
export interface AuthStats {
  verifications: number;
  maxConcurrent: number;
  refusedBusy: number;
  refusedBackoff: number;
  failures: number;
}

/**
 * Who may read the web API from another machine or through a proxy (./doors.ts decides when a login is
 * needed): HTTP Basic with a `reader` account of the broker, the same accounts, no second password store.
 *
 * Reader accounts are reloaded every `refreshMs` (as broker/authenticator.ts does), and a verified
 * password is remembered keyed on the account's *current* hash: a revoked or rotated account is refused
 * from the next reload on. Checks run `MAX_CONCURRENT_CHECKS` at a time behind a bounded queue; a client
 * past `FREE_FAILURES` wrong passwords waits, doubling, before its next one is even checked; an unknown
 * user costs the same scrypt as a known one (a dummy hash), so answers do not tell names apart.
 * start() loads (a database away at start is retried), stop() ends the reloads.
 */
export class WebAuth extends EventEmitter<{ loaded: [{ readers: number }]; loadFailed: [{ err: Error }] }> {
  private readers = new Map<string, string>();
  private remembered = new Set<string>();
  private dummyHash?: Promise<string>;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private readonly inFlight = new Map<string, number>();
  private readonly failures = new Map<string, { count: number; blockedUntil: number }>();
  private readonly now: () => number;
  readonly stats: AuthStats = { verifications: 0, maxConcurrent: 0, refusedBusy: 0, refusedBackoff: 0, failures: 0 };

  constructor(private readonly db: Db, private readonly options: WebAuthOptions = {}) {
    super();
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.dummyHash ??= hashPassword(randomBytes(18).toString('base64url'));
    await this.reload();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Reads the reader accounts now; the next reload follows `refreshMs` later. */
  async reload(): Promise<void> {
    clearTimeout(this.timer);
    try {
      const accounts = await listAccounts(this.db);
      this.readers = new Map(accounts.filter((a) => a.role === 'reader').map((a) => [a.name, a.passwordHash]));
      this.emit('loaded', { readers: this.readers.size });
    } catch (err) {
      // The accounts last loaded stay in force; the database may be restarting.
      this.emit('loadFailed', { err: err as Error });
    }
    if (!this.stopped) (this.timer = setTimeout(() => void this.reload(), this.options.refreshMs ?? 5000)).unref();
  }

  /** Whether an `Authorization` header from `client` (./doors.ts clientOf) logs in a reader. */
  async check(authorization: string | undefined, client: string): Promise<AuthAnswer> {
    const match = /^Basic ([A-Za-z0-9+/=]{1,1000})$/.exec(authorization ?? '');
    if (!match) return { ok: false, status: 401, error: 'log in with a reader account' };
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [name, password] = colon < 0 ? [decoded, ''] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
    const hash = this.readers.get(name);
    const key = createHash('sha256').update(`${name}\0${hash}\0${password}`).digest('base64');
    if (hash && this.remembered.has(key)) return { ok: true };

    const waiting = this.backoffLeftMs(client);
    if (waiting > 0) return this.refuseBackoff(waiting);
    if ((this.inFlight.get(client) ?? 0) >= MAX_CHECKS_PER_CLIENT) {
      return this.refuseBusy('too many logins from your address at once; try again', 429);
    }
    if (this.running >= MAX_CONCURRENT_CHECKS && this.queue.length >= MAX_QUEUED_CHECKS) {
      return this.refuseBusy('too many logins being checked; try again in a few seconds', 503);
    }
    this.inFlight.set(client, (this.inFlight.get(client) ?? 0) + 1);
    try {
      await this.turn();
      let ok: boolean;
      try {
        // Another attempt of this client may have failed while this one waited its turn.
        const left = this.backoffLeftMs(client);
        if (left > 0) return this.refuseBackoff(left);
        ok = await this.verify(password, hash);
      } finally {
        this.release();
      }
      if (ok) {
        if (this.remembered.size >= MAX_REMEMBERED_LOGINS) this.remembered.clear();
        this.remembered.add(key);
        this.failures.delete(client);
        return { ok: true };
      }
      this.fail(client);
      await new Promise((resolve) => setTimeout(resolve, this.options.failureDelayMs ?? 1000));
      return { ok: false, status: 401, error: 'wrong user name or password (a reader account is needed)' };
    } finally {
      const left = (this.inFlight.get(client) ?? 1) - 1;
      if (left > 0) this.inFlight.set(client, left);
      else this.inFlight.delete(client);
    }
  }

  /** One scrypt whether or not the name is a reader's, so the answer's time does not tell. */
  private async verify(password: string, hash: string | undefined): Promise<boolean> {
    this.stats.verifications++;
    this.dummyHash ??= hashPassword(randomBytes(18).toString('base64url'));
    try {
      const matches = await verifyPassword(password, hash ?? (await this.dummyHash));
      return matches && hash !== undefined;
    } catch {
      return false; // a stored hash this machine cannot check refuses the login (the broker logs it)
    }
  }

  private turn(): Promise<void> {
    if (this.running < MAX_CONCURRENT_CHECKS) {
      this.running++;
      this.stats.maxConcurrent = Math.max(this.stats.maxConcurrent, this.running);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next(); // the slot passes on: running stays the same
    else this.running--;
  }

  private backoffLeftMs(client: string): number {
    const failure = this.failures.get(client);
    return failure ? Math.max(0, failure.blockedUntil - this.now()) : 0;
  }

  private fail(client: string): void {
    this.stats.failures++;
    const failure = this.failures.get(client) ?? { count: 0, blockedUntil: 0 };
    this.failures.delete(client); // re-inserted last: the map's order is the forgetting order
    failure.count++;
    if (failure.count >= FREE_FAILURES) {
      const waitMs = Math.min(BACKOFF.maxMs, BACKOFF.initialMs * 2 ** (failure.count - FREE_FAILURES));
      failure.blockedUntil = this.now() + waitMs;
    }
    this.failures.set(client, failure);
    if (this.failures.size > MAX_CLIENTS_TRACKED) this.failures.delete(this.failures.keys().next().value!);
  }

  private refuseBackoff(ms: number): AuthAnswer {
    this.stats.refusedBackoff++;
    const retryAfterS = Math.ceil(ms / 1000);
    const error = `too many wrong passwords from your address; try again in ${retryAfterS} s`;
    return { ok: false, status: 429, error, retryAfterS };
  }

  private refuseBusy(error: string, status: 429 | 503): AuthAnswer {
    this.stats.refusedBusy++;
    return { ok: false, status, error, retryAfterS: 2 };
  }
}

import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { backoffMs } from '../shared/backoff.js';
import { isLoopback } from '../shared/loopback.js';
import { verifyPassword } from '../shared/password.js';
import type { Account } from './accounts.js';
import type { Principal } from './policy.js';

export type AuthResult = { ok: true; principal: Principal } | { ok: false; returnCode: 4 | 5; reason: string };

export interface AuthenticatorOptions {
  /** How often accounts are reloaded: how long a revoked or rotated password keeps working at most. */
  refreshMs?: number;
  /** A failed login is answered this late, so guessing is slow. */
  failureDelayMs?: number;
}

export { isLoopback } from '../shared/loopback.js';

/**
 * Decides who may connect. Like Mosquitto 2: while no (user) account exists, anonymous clients are
 * accepted on loopback only; once one exists, every client must log in. Accounts are loaded from
 * PostgreSQL and refreshed, so the broker keeps working when the database is briefly away.
 */
type AuthenticatorEvents = {
  loaded: [{ accounts: number }];
  changed: [string[]];
  loadFailed: [{ err: Error; retryInMs: number }];
  loadRecovered: [];
  hashUnusable: [{ name: string; err: Error }];
};

export class Authenticator extends EventEmitter<AuthenticatorEvents> {
  private accounts = new Map<string, Account>();
  private verified = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private loadedOnce = false;
  private failures = 0;
  private stopped = false;

  constructor(private readonly load: () => Promise<Account[]>, private readonly options: AuthenticatorOptions = {}) {
    super();
  }

  /** True once any account other than pimonitor's own exists. */
  get requiresLogin(): boolean {
    return [...this.accounts.values()].some((a) => a.managedBy === null);
  }

  /** Whether an active account of this name exists (as last loaded). */
  has(name: string): boolean {
    return this.accounts.has(name);
  }

  /** Who an active account is, as a connection of it would be; undefined when there is none. */
  principalNamed(name: string): Principal | undefined {
    const account = this.accounts.get(name);
    return account && { kind: 'account', name: account.name, role: account.role, deviceKind: account.kind };
  }

  async start(): Promise<void> {
    await this.refresh();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  async authenticate(
    username: string | undefined,
    password: Buffer | undefined,
    remoteAddress: string | undefined,
  ): Promise<AuthResult> {
    if (!username) {
      if (!this.requiresLogin && isLoopback(remoteAddress)) return { ok: true, principal: { kind: 'anonymous' } };
      return this.fail(
        5,
        this.requiresLogin
          ? 'a user name and password are required'
          : 'anonymous clients are accepted only on loopback until an account exists',
      );
    }
    const account = this.accounts.get(username);
    const given = password?.toString('utf8') ?? '';
    // A password verified against the current hash is remembered (as a digest), so reconnect storms stay
    // cheap.
    const digest = createHash('sha256').update(`${account?.passwordHash}\0${given}`).digest('base64');
    if (account && (this.verified.get(username) === digest || (await this.verify(account, given)))) {
      this.verified.set(username, digest);
      return { ok: true, principal: this.principalNamed(account.name)! };
    }
    return this.fail(4, `bad user name or password for ${JSON.stringify(username.slice(0, 64))}`);
  }

  /**
   * A stored hash that cannot be checked (malformed, or a cost above this machine's limit) refuses the
   * login; it never throws.
   */
  private async verify(account: Account, given: string): Promise<boolean> {
    try {
      return await verifyPassword(given, account.passwordHash);
    } catch (err) {
      this.emit('hashUnusable', { name: account.name, err: err as Error });
      return false;
    }
  }

  private async fail(returnCode: 4 | 5, reason: string): Promise<AuthResult> {
    await new Promise((resolve) => setTimeout(resolve, this.options.failureDelayMs ?? 1000));
    return { ok: false, returnCode, reason };
  }

  /**
   * Reloads the accounts, then schedules the next reload: every refreshMs, backing off while the database
   * is away.
   */
  private async refresh(): Promise<void> {
    let fresh: Account[];
    try {
      fresh = await this.load();
    } catch (err) {
      const retryInMs = backoffMs(++this.failures, { initialMs: this.options.refreshMs ?? 5000, maxMs: 60_000 });
      // Once per outage, not per attempt.
      if (this.failures === 1) this.emit('loadFailed', { err: err as Error, retryInMs });
      this.schedule(retryInMs);
      return;
    }
    if (this.failures > 0) this.emit('loadRecovered');
    this.failures = 0;
    this.schedule(this.options.refreshMs ?? 5000);
    const next = new Map(fresh.map((a) => [a.name, a]));
    const changed = [...this.accounts.values()]
      .filter((account) => next.get(account.name)?.passwordHash !== account.passwordHash)
      .map((account) => account.name);
    this.accounts = next;
    for (const name of changed) this.verified.delete(name);
    if (!this.loadedOnce || changed.length > 0) this.emit('loaded', { accounts: next.size });
    this.loadedOnce = true;
    if (changed.length > 0) this.emit('changed', changed);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), ms);
    this.timer.unref();
  }
}

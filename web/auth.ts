import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Db } from '../shared/db.js';
import { verifyPassword } from '../shared/password.js';

/**
 * Who may read the web API. On loopback, anyone on this machine (as the broker's anonymous loopback).
 * On any other address, HTTP Basic with a `reader` account of the broker (`pimonitor device add NAME
 * --role reader`): the same accounts, no second password store. A failed login is answered late, and
 * a verified one is remembered for a minute (scrypt is slow on purpose; a page asks several times).
 */
export class WebAuth {
  private readonly verified = new Map<string, number>();

  constructor(private readonly db: Db, private readonly open: boolean, private readonly now: () => number = Date.now, private readonly failureDelayMs = 1000) {}

  /** null when the request may go on, else the reason it may not. */
  async check(req: IncomingMessage): Promise<string | null> {
    if (this.open) return null;
    const header = req.headers.authorization ?? '';
    const match = /^Basic ([A-Za-z0-9+/=]{1,1000})$/.exec(header);
    if (!match) return 'log in with a reader account';
    const key = createHash('sha256').update(match[1]!).digest('hex');
    const until = this.verified.get(key);
    if (until && until > this.now()) return null;
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [name, password] = colon < 0 ? [decoded, ''] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
    const account = await this.db.oneOrNone<{ password_hash: string }>("SELECT password_hash FROM mqtt_accounts WHERE name = $1 AND role = 'reader' AND revoked_at IS NULL", [name]);
    if (account && (await verifyPassword(password, account.password_hash))) {
      if (this.verified.size > 1000) this.verified.clear();
      this.verified.set(key, this.now() + 60_000);
      return null;
    }
    await new Promise((resolve) => setTimeout(resolve, this.failureDelayMs));
    return 'wrong user name or password (a reader account is needed)';
  }
}

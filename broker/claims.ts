import { withTimeout } from '../shared/timeout.js';

/**
 * Who owns what in the broker: a client id (and so its session), a retained topic, a device that a
 * source account's messages map to. The first account to use a thing claims it; no other account may
 * use it until the claim is released (a retained topic when its owner clears it, the least recently used
 * client ids past an account's cap, everything an account held when it is revoked). Claims live where
 * what they guard lives: client ids and devices of the in-memory broker in PostgreSQL (claims-db.ts),
 * its retained topics in memory; everything in Redis (one hash, written with HSETNX) when brokers share
 * sessions through Redis, so a claim made on one broker holds on every other.
 *
 * The MQTT 5 specification (section 5.4.2) asks a server to check that a client is authorised to use
 * its client identifier; Mosquitto does not (eclipse-mosquitto issue 3219), and mochi-mqtt added it in
 * pull request 399 ("don't allow inheriting session if username doesn't match").
 */

/** Where claims are kept beyond this process: PostgreSQL, or Redis when clustered. */
export interface ClaimBackend {
  /** Which keys it keeps; the others are kept in this process only. Default: all. */
  keeps?(key: string): boolean;
  load(): Promise<Array<[key: string, account: string]>>;
  /** Claims `key` for `account` unless held; resolves to whoever holds it afterwards. */
  claim(key: string, account: string): Promise<string>;
  /** Releases `key` if `account` holds it. */
  release(key: string, account: string): Promise<void>;
  /** Gives `key` to `to` if `from` holds it; resolves to the holder afterwards. */
  transfer(key: string, from: string, to: string): Promise<string>;
}

/**
 * Who holds a client id its account lost by revocation: nobody may inherit its session, so the next
 * account to use the id takes it over with a clean start (ownership.ts).
 */
export const REVOKED = '(revoked)'; // no account name has parentheses (shared/contract.ts nameProblem)

export type ClaimKind = 'client' | 'topic' | 'device';
/** A claim made or released, told to the other brokers of a cluster so their answers stay current. */
export interface ClaimChange {
  key: string;
  account: string;
  held: boolean;
}
export const claimKey = (kind: ClaimKind, name: string) => `${kind}:${name}`;

/**
 * The claims this broker knows, answered synchronously when known here (so a client's packets keep
 * their order), and from the backend otherwise.
 */
export class Claims {
  private readonly holders = new Map<string, string>();
  private readonly byAccount = new Map<string, Set<string>>();

  /** `announce` tells the other brokers of a cluster what this one claimed or released. */
  constructor(
    private readonly backend?: ClaimBackend,
    private readonly announce: (change: ClaimChange) => void = () => {},
  ) {}

  /** What another broker claimed or released. */
  heard(change: ClaimChange): void {
    if (change.held) {
      this.remember(change.key, change.account);
    } else if (this.holders.get(change.key) === change.account) {
      this.forget(change.key, change.account);
    }
  }

  async start(): Promise<void> {
    for (const [key, account] of (await this.backend?.load()) ?? []) this.remember(key, account);
  }

  /**
   * Reads every claim again from the backend (after an outage, when announcements may have been
   * missed); what is held here alone is kept.
   */
  async reload(): Promise<void> {
    if (!this.backend) return;
    const fresh = new Map(await this.backend.load());
    const kept = (key: string) => this.backend?.keeps?.(key) ?? true;
    for (const [key, account] of [...this.holders]) {
      if (kept(key) && fresh.get(key) !== account) this.forget(key, account);
    }
    for (const [key, account] of fresh) if (this.holders.get(key) !== account) this.remember(key, account);
  }

  /** Marks `key` as used now by its holder, so it is the last of its account's claims to be evicted. */
  touch(key: string, account: string): void {
    const held = this.byAccount.get(account);
    if (!held?.delete(key)) return;
    held.add(key);
  }

  /** The least recently used key of `kind` that `account` holds here, skipping those `keep` says. */
  oldest(account: string, kind: ClaimKind, keep: (name: string) => boolean): string | undefined {
    const prefix = `${kind}:`;
    for (const key of this.byAccount.get(account) ?? []) {
      if (key.startsWith(prefix) && !keep(key.slice(prefix.length))) return key;
    }
    return undefined;
  }

  /** Gives `key` to `to` if `from` holds it; resolves to the holder afterwards. */
  transfer(key: string, from: string, to: string): string | Promise<string> {
    if (this.holders.get(key) !== from) return this.holders.get(key) ?? this.claim(key, to);
    const move = (holder: string) => {
      if (holder === to) {
        this.forget(key, from);
        this.remember(key, to);
        this.announce({ key, account: to, held: true });
      }
      return holder;
    };
    const backend = this.backendFor(key);
    return backend ? backend.transfer(key, from, to).then(move) : move(to);
  }

  holder(key: string): string | undefined {
    return this.holders.get(key);
  }

  /** The backend that keeps `key`, if any. */
  private backendFor(key: string): ClaimBackend | undefined {
    return this.backend && (this.backend.keeps?.(key) ?? true) ? this.backend : undefined;
  }

  /** Claims `key` for `account` unless another holds it; resolves to the holder. */
  claim(key: string, account: string): string | Promise<string> {
    const known = this.holders.get(key);
    if (known !== undefined) return known;
    const backend = this.backendFor(key);
    if (!backend) {
      this.remember(key, account);
      return account;
    }
    return backend.claim(key, account).then((holder) => {
      this.remember(key, holder);
      if (holder === account) this.announce({ key, account, held: true });
      return holder;
    });
  }

  /** Releases `key` if `account` holds it. */
  release(key: string, account: string): Promise<void> {
    if (this.holders.get(key) !== account) return Promise.resolve();
    this.forget(key, account);
    const backend = this.backendFor(key);
    if (!backend) return Promise.resolve();
    return backend.release(key, account).then(() => this.announce({ key, account, held: false }));
  }

  /** The keys of one kind that `account` holds here. */
  heldBy(account: string, kind: ClaimKind): string[] {
    const prefix = `${kind}:`;
    return [...(this.byAccount.get(account) ?? [])]
      .filter((key) => key.startsWith(prefix))
      .map((key) => key.slice(prefix.length));
  }

  count(account: string, kind: ClaimKind): number {
    const prefix = `${kind}:`;
    let count = 0;
    for (const key of this.byAccount.get(account) ?? []) if (key.startsWith(prefix)) count++;
    return count;
  }

  /** Releases everything `account` holds (it was revoked); resolves to the keys released. */
  async releaseAll(account: string): Promise<string[]> {
    const keys = [...(this.byAccount.get(account) ?? [])];
    await Promise.all(keys.map((k) => this.release(k, account)));
    return keys;
  }

  private remember(key: string, account: string): void {
    const previous = this.holders.get(key);
    if (previous !== undefined && previous !== account) this.forget(key, previous);
    this.holders.set(key, account);
    const held = this.byAccount.get(account) ?? new Set<string>();
    this.byAccount.set(account, held);
    held.add(key);
  }

  private forget(key: string, account: string): void {
    this.holders.delete(key);
    const held = this.byAccount.get(account);
    held?.delete(key);
    if (held?.size === 0) this.byAccount.delete(account);
  }
}

/** The subset of an ioredis connection the Redis backend uses. */
export interface RedisLike {
  hgetall(key: string): Promise<Record<string, string>>;
  hsetnx(key: string, field: string, value: string): Promise<number>;
  hget(key: string, field: string): Promise<string | null>;
  eval(script: string, keys: number, ...args: string[]): Promise<unknown>;
}

/** Moves a field to another account only while it still names the one giving it up (or nobody). */
const TRANSFER_IF_HELD =
  "local h = redis.call('HGET', KEYS[1], ARGV[1]) " +
  "if h == ARGV[2] or not h then redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) return ARGV[3] end " +
  'return h';
/**
 * Deletes a field only while it still names the releasing account (another broker may have re-claimed
 * it).
 */
const RELEASE_IF_HELD =
  "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end " +
  'return 0';

/**
 * How long a claim waits for Redis: ioredis queues commands while it reconnects, and a CONNECT must not
 * wait for ever.
 */
const REDIS_CLAIM_TIMEOUT_MS = 5000;

/** Claims in one Redis hash, shared by every broker of a cluster (the connection adds the key prefix). */
export function redisClaims(redis: RedisLike, hash = 'claims'): ClaimBackend {
  const bounded = <T>(call: Promise<T>) => withTimeout(call, REDIS_CLAIM_TIMEOUT_MS, 'a claim in Redis');
  return {
    async load() {
      return Object.entries(await bounded(redis.hgetall(hash)));
    },
    claim: (key, account) => bounded((async () => {
      // A holder that releases between our HSETNX and HGET: try again (a few times; it cannot churn long).
      for (let attempt = 0; attempt < 3; attempt++) {
        if ((await redis.hsetnx(hash, key, account)) === 1) return account;
        const holder = await redis.hget(hash, key);
        if (holder !== null) return holder;
      }
      throw new Error(`the claim of ${key} kept changing hands`);
    })()),
    async release(key, account) {
      await bounded(redis.eval(RELEASE_IF_HELD, 1, hash, key, account));
    },
    async transfer(key, from, to) {
      const holder = await bounded(redis.eval(TRANSFER_IF_HELD, 1, hash, key, from, to));
      return typeof holder === 'string' ? holder : to;
    },
  };
}

import type { Client } from 'aedes';
import type { Source } from '../shared/sources/source.js';
import { claimKey, REVOKED, type Claims } from './claims.js';
import type { BrokerLimits } from './limits.js';
import { then, type Maybe } from './maybe.js';
import { PendingClaims } from './pending-claims.js';
import { canPublish, clientIdProblem, HA_STATUS, ownerByName, type Principal } from './policy.js';
import { SourceDevices } from './source-devices.js';

/** Why a CONNECT or PUBLISH is refused, and the counter it goes to. */
export type Refusal = { reason: string; counter: RefusalCounter; returnCode?: 2 | 5 };
export const REFUSAL_COUNTERS = [
  'client_id',
  'will',
  'connections',
  'not_owner',
  'retained_quota',
  'source_device',
  'device_quota',
] as const;
export type RefusalCounter = (typeof REFUSAL_COUNTERS)[number];

export interface PublishLike {
  topic: string;
  payload: Buffer | string;
  retain?: boolean;
}

/** What admit() decides: refused, or admitted (with a clean start when the id's session was another's). */
export type Admission = { ok: false; refusal: Refusal } | { ok: true; freshSession: boolean };

/**
 * Longer client ids are refused: MQTT 3.1.1 servers must take 23 characters (MQTT-3.1.3-5), firmware uses
 * under 64.
 */
export const MAX_CLIENT_ID_CHARS = 128;
/** Client ids one account holds at most; past it, its least recently used one not connected is let go. */
export const MAX_CLIENT_IDS_PER_ACCOUNT = 64;

/**
 * Who owns what, and the per-account quotas (connections, retained messages and bytes): the checks that
 * need state beyond one packet. canPublish/canSubscribe (policy.ts) decide by the topic alone; these
 * decide by who came first. Answers synchronously whenever the claims are known here, so a client's
 * packets keep their order.
 */
export class Ownership {
  /** Live connections of each account on this broker. */
  private readonly connections = new Map<string, Set<Client>>();
  /** Bytes of each retained topic an account set here (a restart on Redis starts it again at 0). */
  private readonly retainedBytes = new Map<string, number>();
  private readonly bytesOf = new Map<string, number>();
  private readonly pending = new PendingClaims();
  private readonly sourceDevices: SourceDevices;

  constructor(
    private readonly claims: Claims,
    private readonly limits: Pick<
      BrokerLimits,
      'maxConnectionsPerAccount' | 'maxRetainedPerAccount' | 'maxRetainedBytesPerAccount' | 'maxDevicesPerAccount'
    >,
    private readonly isAccount: (name: string) => boolean,
    sources: readonly Source[] = [],
  ) {
    this.sourceDevices = new SourceDevices(claims, this.pending, isAccount, sources, limits.maxDevicesPerAccount);
  }

  /**
   * May `client`, logged in as `who`, connect? Its client id must not be another account's (nor another
   * account's name), its will must be a message it may publish, and its account under its connection
   * quota. Claims the client id, which stays the account's (whether its session is clean or not) until
   * the account has used 64 others since, or is revoked; an id taken over from a revoked account starts
   * a clean session, so nobody inherits what was queued for it.
   */
  admit(client: Client, who: Principal, live: (clientId: string) => Client | undefined): Maybe<Admission> {
    if (who.kind === 'anonymous') return { ok: true, freshSession: false };
    const refuse = (refusal: Refusal): Admission => ({ ok: false, refusal });
    if (client.id.length > MAX_CLIENT_ID_CHARS) {
      const reason = `client id of ${client.id.length} characters, more than ${MAX_CLIENT_ID_CHARS}`;
      return refuse({ reason, counter: 'client_id', returnCode: 2 });
    }
    const anotherAccountsName = client.id !== who.name && this.isAccount(client.id);
    const nameProblem = `client id ${client.id} is the name of account ${client.id}, and only it may use it`;
    const reserved = clientIdProblem(who, client.id) ?? (anotherAccountsName ? nameProblem : null);
    if (reserved) return refuse({ reason: reserved, counter: 'client_id', returnCode: 2 });
    const will = (client as unknown as { _will?: PublishLike | null })._will;
    if (will) {
      const problem = this.mayPublishWill(who, will);
      if (problem) return refuse({ reason: `its will: ${problem}`, counter: 'will', returnCode: 5 });
    }
    const open = [...(this.connections.get(who.name) ?? [])].filter((other) => other !== live(client.id));
    if (open.length >= this.limits.maxConnectionsPerAccount) {
      const reason = `account ${who.name} already has ${open.length} connections (MQTT_MAX_CONNECTIONS_PER_ACCOUNT)`;
      return refuse({ reason, counter: 'connections', returnCode: 5 });
    }
    const key = claimKey('client', client.id);
    const admitted = (holder: string, freshSession: boolean): Admission => {
      if (holder !== who.name) {
        const reason = `client id ${client.id} belongs to another account`;
        return refuse({ reason, counter: 'client_id', returnCode: 2 });
      }
      // A connection gone while its login was checked never takes a slot (it would never give it back).
      if ((client.conn as { destroyed?: boolean } | undefined)?.destroyed) {
        return refuse({ reason: 'the connection closed during its login', counter: 'connections' });
      }
      this.claims.touch(key, who.name);
      this.evictClientIds(who.name, live);
      const set = this.connections.get(who.name) ?? new Set<Client>();
      this.connections.set(who.name, set);
      set.add(client);
      return { ok: true, freshSession };
    };
    if (this.claims.holder(key) === REVOKED) {
      return then(this.claims.transfer(key, REVOKED, who.name), (holder) => admitted(holder, true));
    }
    return then(this.claims.claim(key, who.name), (holder) => admitted(holder, false));
  }

  /** A connection closed: its account's connection slot is free (its client id stays the account's). */
  left(client: Client, who: Principal): void {
    if (who.kind === 'anonymous') return;
    const set = this.connections.get(who.name);
    if (!set?.delete(client)) return;
    if (set.size === 0) this.connections.delete(who.name);
  }

  /** Past the cap, an account's least recently used client ids that are not connected are let go. */
  private evictClientIds(account: string, live: (clientId: string) => Client | undefined): void {
    while (this.claims.count(account, 'client') > MAX_CLIENT_IDS_PER_ACCOUNT) {
      const oldest = this.claims.oldest(account, 'client', (id) => live(id) !== undefined);
      if (!oldest) return;
      void this.claims.release(oldest, account).catch(() => {});
    }
  }

  /**
   * May `who` publish `packet` beyond what its topic allows? A topic another account owns (by name, or by
   * having retained it first) is refused; a retained message claims its topic, within the account's
   * quota; a source account's message may not speak for a device of another account.
   */
  publishProblem(who: Principal, packet: PublishLike): Maybe<Refusal | null> {
    if (who.kind === 'anonymous') return null;
    const byName = ownerByName(packet.topic, this.isAccount);
    if (byName !== undefined && byName !== who.name) {
      return { reason: `${packet.topic} belongs to account ${byName}`, counter: 'not_owner' };
    }
    return then(this.sourceDevices.problem(who, packet), (problem) => problem ?? this.retainedProblem(who, packet));
  }

  /**
   * Everything a revoked account held is released; its client ids pass to nobody (REVOKED), so the
   * next account to use one starts clean instead of inheriting the session. Resolves to what it held.
   */
  async revoked(account: string): Promise<string[]> {
    for (const topic of this.claims.heldBy(account, 'topic')) this.forgetBytes(topic, account);
    const ids = this.claims.heldBy(account, 'client').map((id) => claimKey('client', id));
    await Promise.all(ids.map((key) => this.claims.transfer(key, account, REVOKED)));
    return [...ids, ...(await this.claims.releaseAll(account))];
  }

  /** The account a client id belongs to, as far as this broker knows. */
  holderOfClientId(clientId: string): string | undefined {
    return this.claims.holder(claimKey('client', clientId));
  }

  connectionsOf(account: string): number {
    return this.connections.get(account)?.size ?? 0;
  }

  /** A will is checked as a publish would be, without claiming anything: nothing is published yet. */
  private mayPublishWill(who: Principal & { kind: 'account' }, will: PublishLike): string | null {
    const decision = canPublish(who, will.topic);
    if (!decision.ok) return decision.reason;
    const byName = ownerByName(will.topic, this.isAccount);
    if (byName !== undefined && byName !== who.name) return `${will.topic} belongs to account ${byName}`;
    const holder = this.claims.holder(claimKey('topic', will.topic));
    if (holder !== undefined && holder !== who.name) return `${will.topic} is retained by account ${holder}`;
    const devices = this.sourceDevices.problem(who, will, false);
    return devices instanceof Promise ? null : (devices?.reason ?? null);
  }

  private retainedProblem(who: Principal & { kind: 'account' }, packet: PublishLike): Maybe<Refusal | null> {
    // Home Assistant's birth topic is every reader's to announce on; retained, an "offline" there
    // would greet every device that subscribes.
    if (packet.topic === HA_STATUS) {
      return packet.retain ? { reason: `${HA_STATUS} may not be retained`, counter: 'not_owner' } : null;
    }
    const key = claimKey('topic', packet.topic);
    const holder = this.claims.holder(key);
    const ownName = ownerByName(packet.topic, this.isAccount) === who.name;
    const taken = (by: string): Refusal => ({
      reason: `${packet.topic} is retained by account ${by}; only it may replace or clear it`,
      counter: 'not_owner',
    });
    // A topic an account owns by its name is its own, whoever retained it before the account existed.
    if (holder !== undefined && holder !== who.name && !ownName) return taken(holder);
    if (!packet.retain) return null;
    const takeOver = ownName && holder !== undefined && holder !== who.name;
    const claim = () => (takeOver ? this.claims.transfer(key, holder, who.name) : this.claims.claim(key, who.name));
    const bytes = Buffer.byteLength(packet.payload);
    if (bytes === 0) {
      // An empty retained message clears the topic, and the claim goes with it; a topic nobody here
      // knows of may still be held on another broker of the cluster, so it is claimed to be released.
      return then(claim(), (claimed) => {
        if (claimed !== who.name) return taken(claimed);
        this.forgetBytes(packet.topic, who.name);
        return this.claims.release(key, who.name).then(() => null);
      });
    }
    const already = this.retainedBytes.get(packet.topic) ?? 0;
    const total = (this.bytesOf.get(who.name) ?? 0) - already + bytes;
    const retains = this.claims.count(who.name, 'topic') + this.pending.of(who.name, 'topic');
    if (holder !== who.name && retains >= this.limits.maxRetainedPerAccount) {
      const reason =
        `account ${who.name} already retains ${this.limits.maxRetainedPerAccount} topics ` +
        '(MQTT_MAX_RETAINED_PER_ACCOUNT)';
      return { reason, counter: 'retained_quota' };
    }
    if (total > this.limits.maxRetainedBytesPerAccount) {
      const reason =
        `account ${who.name}'s retained messages would take ${total} bytes, ` +
        `more than ${this.limits.maxRetainedBytesPerAccount} (MQTT_MAX_RETAINED_BYTES_PER_ACCOUNT)`;
      return { reason, counter: 'retained_quota' };
    }
    // Counted before the claim is answered: the packets of one socket read are checked side by side.
    this.retainedBytes.set(packet.topic, bytes);
    this.bytesOf.set(who.name, total);
    this.pending.add(who.name, 'topic', 1);
    return then(claim(), (claimed) => {
      this.pending.add(who.name, 'topic', -1);
      if (claimed === who.name) return null;
      this.forgetBytes(packet.topic, who.name);
      if (already > 0) {
        this.retainedBytes.set(packet.topic, already);
        this.bytesOf.set(who.name, (this.bytesOf.get(who.name) ?? 0) + already);
      }
      return taken(claimed);
    });
  }

  private forgetBytes(topic: string, account: string): void {
    const bytes = this.retainedBytes.get(topic);
    if (bytes === undefined) return;
    this.retainedBytes.delete(topic);
    this.bytesOf.set(account, Math.max(0, (this.bytesOf.get(account) ?? 0) - bytes));
  }
}

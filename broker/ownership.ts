import type { Client } from 'aedes';
import { DEFAULT_LIMITS as CONTRACT_LIMITS } from '../shared/contract.js';
import { decodeMessage, sourceFor } from '../shared/sources/decode.js';
import type { Source } from '../shared/sources/source.js';
import { claimKey, type Claims } from './claims.js';
import type { BrokerLimits } from './limits.js';
import { canPublish, clientIdProblem, NAME_ROOTED_KINDS, ownerByName, type Principal } from './policy.js';

/** Why a CONNECT or PUBLISH is refused, and the counter it goes to. */
export type Refusal = { reason: string; counter: RefusalCounter; returnCode?: 2 | 5 };
export const REFUSAL_COUNTERS = ['client_id', 'will', 'connections', 'not_owner', 'retained_quota', 'source_device', 'device_quota'] as const;
export type RefusalCounter = (typeof REFUSAL_COUNTERS)[number];

export interface PublishLike {
  topic: string;
  payload: Buffer | string;
  retain?: boolean;
}

type Maybe<T> = T | Promise<T>;
const then = <T, U>(value: Maybe<T>, next: (v: T) => Maybe<U>): Maybe<U> => (value instanceof Promise ? value.then(next) : next(value));

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

  constructor(
    private readonly claims: Claims,
    private readonly limits: Pick<BrokerLimits, 'maxConnectionsPerAccount' | 'maxRetainedPerAccount' | 'maxRetainedBytesPerAccount' | 'maxDevicesPerAccount'>,
    private readonly isAccount: (name: string) => boolean,
    private readonly sources: readonly Source[] = [],
  ) {}

  /**
   * May `client`, logged in as `who`, connect? Its client id must not be another account's, its will
   * must be a message it may publish, and its account under its connection quota. Claims the client id.
   */
  admit(client: Client, who: Principal, live: (clientId: string) => Client | undefined): Maybe<Refusal | null> {
    if (who.kind === 'anonymous') return null;
    const reserved = clientIdProblem(who, client.id);
    if (reserved) return { reason: reserved, counter: 'client_id', returnCode: 2 };
    const will = (client as unknown as { _will?: PublishLike | null })._will;
    if (will) {
      const problem = this.mayPublishWill(who, will);
      if (problem) return { reason: `its will: ${problem}`, counter: 'will', returnCode: 5 };
    }
    const open = [...(this.connections.get(who.name) ?? [])].filter((c) => c !== live(client.id));
    if (open.length >= this.limits.maxConnectionsPerAccount) {
      return { reason: `account ${who.name} already has ${open.length} connections (MQTT_MAX_CONNECTIONS_PER_ACCOUNT)`, counter: 'connections', returnCode: 5 };
    }
    return then(this.claims.claim(claimKey('client', client.id), who.name), (holder) => {
      if (holder !== who.name) return { reason: `client id ${client.id} belongs to another account`, counter: 'client_id', returnCode: 2 } as Refusal;
      const set = this.connections.get(who.name) ?? new Set<Client>();
      this.connections.set(who.name, set);
      set.add(client);
      return null;
    });
  }

  /** A connection closed: its quota slot is free, and a clean session's client id is released. */
  left(client: Client, who: Principal, live: (clientId: string) => Client | undefined): Promise<void> {
    if (who.kind === 'anonymous') return Promise.resolve();
    const set = this.connections.get(who.name);
    if (!set?.delete(client)) return Promise.resolve();
    if (set.size === 0) this.connections.delete(who.name);
    // A takeover by the same account: the newer connection holds the id now.
    const newer = live(client.id);
    if (!client.clean || (newer && newer !== client)) return Promise.resolve();
    return this.claims.release(claimKey('client', client.id), who.name);
  }

  /**
   * May `who` publish `packet` beyond what its topic allows? A topic another account owns (by name, or by
   * having retained it first) is refused; a retained message claims its topic, within the account's
   * quota; a source account's message may not speak for a device of another account.
   */
  publishProblem(who: Principal, packet: PublishLike): Maybe<Refusal | null> {
    if (who.kind === 'anonymous') return null;
    const byName = ownerByName(packet.topic, this.isAccount);
    if (byName !== undefined && byName !== who.name) return { reason: `${packet.topic} belongs to account ${byName}`, counter: 'not_owner' };
    return then(this.sourceDevicesProblem(who, packet), (problem) => problem ?? this.retainedProblem(who, packet));
  }

  /** Everything a revoked account held is released; resolves to what it held. */
  async revoked(account: string): Promise<string[]> {
    for (const topic of this.claims.heldBy(account, 'topic')) this.forgetBytes(topic, account);
    return this.claims.releaseAll(account);
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
    const devices = this.sourceDevicesProblem(who, will, false);
    return devices instanceof Promise ? null : (devices?.reason ?? null);
  }

  private retainedProblem(who: Principal & { kind: 'account' }, packet: PublishLike): Maybe<Refusal | null> {
    const key = claimKey('topic', packet.topic);
    const holder = this.claims.holder(key);
    if (holder !== undefined && holder !== who.name) return { reason: `${packet.topic} is retained by account ${holder}; only it may replace or clear it`, counter: 'not_owner' };
    if (!packet.retain) return null;
    const bytes = Buffer.byteLength(packet.payload);
    if (bytes === 0) {
      // An empty retained message clears the topic, and the claim goes with it; a topic nobody here
      // knows of may still be held on another broker of the cluster, so it is claimed to be released.
      return then(this.claims.claim(key, who.name), (claimed) => {
        if (claimed !== who.name) return { reason: `${packet.topic} is retained by account ${claimed}; only it may replace or clear it`, counter: 'not_owner' } as Refusal;
        this.forgetBytes(packet.topic, who.name);
        return this.claims.release(key, who.name).then(() => null);
      });
    }
    const already = this.retainedBytes.get(packet.topic) ?? 0;
    const total = (this.bytesOf.get(who.name) ?? 0) - already + bytes;
    if (holder === undefined && this.claims.count(who.name, 'topic') >= this.limits.maxRetainedPerAccount) {
      return { reason: `account ${who.name} already retains ${this.limits.maxRetainedPerAccount} topics (MQTT_MAX_RETAINED_PER_ACCOUNT)`, counter: 'retained_quota' };
    }
    if (total > this.limits.maxRetainedBytesPerAccount) {
      return { reason: `account ${who.name}'s retained messages would take ${total} bytes, more than ${this.limits.maxRetainedBytesPerAccount} (MQTT_MAX_RETAINED_BYTES_PER_ACCOUNT)`, counter: 'retained_quota' };
    }
    return then(this.claims.claim(key, who.name), (claimed) => {
      if (claimed !== who.name) return { reason: `${packet.topic} is retained by account ${claimed}; only it may replace or clear it`, counter: 'not_owner' } as Refusal;
      this.retainedBytes.set(packet.topic, bytes);
      this.bytesOf.set(who.name, total);
      return null;
    });
  }

  /**
   * The devices a source account's message maps to (through the configured sources, as ingest will map
   * it) must be its own: not another account's name, and not a device another account mapped to first.
   */
  private sourceDevicesProblem(who: Principal & { kind: 'account' }, packet: PublishLike, claim = true): Maybe<Refusal | null> {
    if (who.role !== 'device' || !(who.deviceKind === 'tasmota' || NAME_ROOTED_KINDS.includes(who.deviceKind ?? 'pimonitor'))) return null;
    if (!sourceFor(this.sources, packet.topic)) return null;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const decoded = decodeMessage(this.sources, packet.topic, payload, new Date(), CONTRACT_LIMITS);
    const devices = 'kind' in decoded ? (decoded.kind === 'readings' ? [...new Set(decoded.readings.map((r) => r.device))] : decoded.kind === 'status' ? [decoded.device] : []) : [];
    const problems: Array<Maybe<Refusal | null>> = devices.map((device) => {
      if (device === who.name) return null;
      if (this.isAccount(device)) return { reason: `${packet.topic} maps to device ${device}, which is account ${device}'s`, counter: 'source_device' };
      const known = this.claims.holder(claimKey('device', device));
      if (!claim) return known === undefined || known === who.name ? null : { reason: `${packet.topic} maps to device ${device}, which account ${known}'s messages made first`, counter: 'source_device' };
      // A bridge inventing a new friendly name per message would make devices without end.
      if (known === undefined && this.claims.count(who.name, 'device') >= this.limits.maxDevicesPerAccount) {
        return { reason: `${packet.topic} maps to a new device ${device}, and account ${who.name} already speaks for ${this.limits.maxDevicesPerAccount} (MQTT_MAX_DEVICES_PER_ACCOUNT)`, counter: 'device_quota' };
      }
      return then(this.claims.claim(claimKey('device', device), who.name), (holder) =>
        holder === who.name ? null : ({ reason: `${packet.topic} maps to device ${device}, which account ${holder}'s messages made first`, counter: 'source_device' } as Refusal));
    });
    return problems.some((p) => p instanceof Promise) ? Promise.all(problems).then(firstOf) : firstOf(problems as Array<Refusal | null>);
  }

  private forgetBytes(topic: string, account: string): void {
    const bytes = this.retainedBytes.get(topic);
    if (bytes === undefined) return;
    this.retainedBytes.delete(topic);
    this.bytesOf.set(account, Math.max(0, (this.bytesOf.get(account) ?? 0) - bytes));
  }
}

const firstOf = (problems: Array<Refusal | null>): Refusal | null => problems.find((p) => p !== null) ?? null;

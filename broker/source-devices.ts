import { LATEST_TIMESTAMP_MS, type ValidationLimits } from '../shared/contract.js';
import { decodeMessage, sourceFor } from '../shared/sources/decode.js';
import type { Source } from '../shared/sources/source.js';
import { claimKey, type Claims } from './claims.js';
import { then, type Maybe } from './maybe.js';
import type { PublishLike, Refusal } from './ownership.js';
import type { PendingClaims } from './pending-claims.js';
import { NAME_ROOTED_KINDS, type Principal } from './policy.js';

/**
 * The broker reads a source account's message for the devices it maps to with limits wider than any
 * reader's (no size, clock or range limit), so that a message a reader configured differently, or
 * reading it later, would turn into readings is never one the broker saw as mapping to nothing.
 */
const PERMISSIVE_LIMITS: ValidationLimits = {
  maxPayloadBytes: Number.MAX_SAFE_INTEGER,
  maxFutureSkewMs: LATEST_TIMESTAMP_MS,
  ranges: {},
};

/**
 * The devices a source account's message maps to (through the configured sources, as ingest will map it)
 * must be its own: not another account's name, and not a device another account mapped to first; and an
 * account speaks for at most maxDevicesPerAccount devices.
 */
export class SourceDevices {
  constructor(
    private readonly claims: Claims,
    private readonly pending: PendingClaims,
    private readonly isAccount: (name: string) => boolean,
    private readonly sources: readonly Source[],
    private readonly maxDevicesPerAccount: number,
  ) {}

  /** Why `packet` may not be published by `who`, if so; with `claim`, the devices it maps to are claimed. */
  problem(who: Principal & { kind: 'account' }, packet: PublishLike, claim = true): Maybe<Refusal | null> {
    const mapsDevices = who.deviceKind === 'tasmota' || NAME_ROOTED_KINDS.includes(who.deviceKind ?? 'pimonitor');
    if (who.role !== 'device' || !mapsDevices) return null;
    if (!sourceFor(this.sources, packet.topic)) return null;
    const problems = this.devicesOf(packet).map((device) => this.deviceProblem(who, packet.topic, device, claim));
    return problems.some((problem) => problem instanceof Promise)
      ? Promise.all(problems).then(firstOf)
      : firstOf(problems as Array<Refusal | null>);
  }

  private devicesOf(packet: PublishLike): string[] {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const decoded = decodeMessage(this.sources, packet.topic, payload, new Date(), PERMISSIVE_LIMITS);
    if (!('kind' in decoded)) return [];
    if (decoded.kind === 'readings') return [...new Set(decoded.readings.map((reading) => reading.device))];
    return decoded.kind === 'status' ? [decoded.device] : [];
  }

  private deviceProblem(
    who: Principal & { kind: 'account' },
    topic: string,
    device: string,
    claim: boolean,
  ): Maybe<Refusal | null> {
    if (device === who.name) return null;
    if (this.isAccount(device)) {
      return { reason: `${topic} maps to device ${device}, which is account ${device}'s`, counter: 'source_device' };
    }
    const madeFirst = (holder: string): Refusal => ({
      reason: `${topic} maps to device ${device}, which account ${holder}'s messages made first`,
      counter: 'source_device',
    });
    const known = this.claims.holder(claimKey('device', device));
    if (!claim) return known === undefined || known === who.name ? null : madeFirst(known);
    // A bridge inventing a new friendly name per message would make devices without end.
    const speaksFor = this.claims.count(who.name, 'device') + this.pending.of(who.name, 'device');
    if (known === undefined && speaksFor >= this.maxDevicesPerAccount) {
      return {
        reason:
          `${topic} maps to a new device ${device}, and account ${who.name} already speaks for ` +
          `${this.maxDevicesPerAccount} (MQTT_MAX_DEVICES_PER_ACCOUNT)`,
        counter: 'device_quota',
      };
    }
    if (known === undefined) this.pending.add(who.name, 'device', 1);
    return then(this.claims.claim(claimKey('device', device), who.name), (holder) => {
      if (known === undefined) this.pending.add(who.name, 'device', -1);
      return holder === who.name ? null : madeFirst(holder);
    });
  }
}

const firstOf = (problems: Array<Refusal | null>): Refusal | null =>
  problems.find((problem) => problem !== null) ?? null;

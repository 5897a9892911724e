import type { ClaimKind } from './claims.js';

/**
 * Claims asked for and not yet answered, by account and kind: counted against the quotas, so the packets
 * of one socket read, checked side by side, cannot together pass a quota each passes alone.
 */
export class PendingClaims {
  private readonly counts = new Map<string, number>();

  of(account: string, kind: ClaimKind): number {
    return this.counts.get(`${account}\0${kind}`) ?? 0;
  }

  add(account: string, kind: ClaimKind, by: number): void {
    const key = `${account}\0${kind}`;
    const count = (this.counts.get(key) ?? 0) + by;
    if (count <= 0) this.counts.delete(key);
    else this.counts.set(key, count);
  }
}

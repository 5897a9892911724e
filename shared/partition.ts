/**
 * Splitting devices between ingest workers on a broker without shared subscriptions (Aedes): every
 * worker receives every message and keeps those whose device hashes to its share. All of one
 * device's readings go to one worker, so they stay in order. Pure.
 */
export interface Partition {
  index: number;
  count: number;
}

/** Parses "i/n" (0 <= i < n), or says what is wrong. */
export function parsePartition(text: string): Partition | string {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) return `"${text}" is not of the form i/n, e.g. 0/2`;
  const [index, count] = [Number(match[1]), Number(match[2])];
  if (count < 1 || index >= count) return `"${text}": i must be at least 0 and below n`;
  return { index, count };
}

/** FNV-1a: stable across processes, versions and machines, unlike anything seeded. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Whether this worker owns the messages of the device named by `deviceKey` (shared/sources/decode.ts deviceKeyOf). */
export function owns({ index, count }: Partition, deviceKey: string): boolean {
  if (count === 1) return true;
  return fnv1a(deviceKey) % count === index;
}

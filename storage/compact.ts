import type { Db } from '../shared/db.js';
import { listPartitions, type PartitionInfo } from './partitions.js';

export interface CompactResult {
  name: string;
  bytesBefore: number;
  bytesAfter: number;
}

/**
 * Rewrites closed raw partitions (months that ended before `olderThan`) in key order with CLUSTER.
 * Ingest writes all series interleaved, so the primary key's pages split half-full as each series
 * grows in the middle of the index; rewritten, the index is packed and each series' rows sit together
 * on few pages, so a range of one series reads fewer pages. A partition is compacted once (recorded in
 * compacted_partitions); later late data only adds to it.
 *
 * Cost: CLUSTER locks the partition while it runs (a batch with late data for that month waits or,
 * past DATABASE_QUERY_TIMEOUT_MS, is retried) and needs free disk for one more copy of that partition.
 */
export async function compactPartitions(db: Db, { olderThan, onPartition }: { olderThan: Date; onPartition?: (p: PartitionInfo) => void }): Promise<CompactResult[]> {
  const done = new Set(await db.map('SELECT partition FROM compacted_partitions', [], (r: { partition: string }) => r.partition));
  const results: CompactResult[] = [];
  for (const p of await listPartitions(db)) {
    if (p.parent !== 'readings_raw' || p.to > olderThan || done.has(p.name)) continue;
    onPartition?.(p);
    await db.none('CLUSTER $1:name USING $2:name', [p.name, `${p.name}_pkey`]);
    await db.none('INSERT INTO compacted_partitions (partition) VALUES ($1) ON CONFLICT (partition) DO UPDATE SET compacted_at = now()', [p.name]);
    const { bytes } = await db.one<{ bytes: string }>('SELECT pg_total_relation_size($1::regclass) AS bytes', [p.name]);
    results.push({ name: p.name, bytesBefore: p.bytes, bytesAfter: Number(bytes) });
  }
  return results;
}

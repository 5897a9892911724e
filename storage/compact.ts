import type { Db } from '../shared/db.js';
import { listPartitions, type PartitionInfo } from './partitions.js';

export interface CompactResult {
  name: string;
  bytesBefore: number;
  bytesAfter: number;
}

export interface CompactOptions {
  /** Partitions of months that ended before this are compacted. */
  olderThan: Date;
  /**
   * Whether archiving is on (ARCHIVE_AFTER_DAYS > 0): raw partitions are then left alone, as the archive's
   * to move (storage/archive.ts). A CLUSTER would copy a month a few days before it is emptied
   * (COMPACT_AFTER_DAYS 3, ARCHIVE_AFTER_DAYS 7).
   */
  archiving?: boolean;
  onPartition?: (p: PartitionInfo) => void;
}

/**
 * Rewrites closed monthly partitions (raw readings and 5-minute rollups of months that ended before
 * `olderThan`) in key order with CLUSTER. Ingest and the rollup job write all series interleaved, so
 * one series' rows of a day are spread over as many pages as there are rows; rewritten, they sit
 * together, and a day or a month of one series reads a twentieth of the pages (docs/benchmarks.md).
 * A partition is compacted once (recorded in compacted_partitions); later late data only adds to it.
 *
 * Cost: CLUSTER locks the partition while it runs (a batch with late data for that month waits or,
 * past DATABASE_QUERY_TIMEOUT_MS, is retried) and needs free disk for one more copy of that partition.
 */
export async function compactPartitions(db: Db, options: CompactOptions): Promise<CompactResult[]> {
  const { olderThan, archiving = false, onPartition } = options;
  const done = new Set(await db.map('SELECT partition FROM compacted_partitions', [], (r: { partition: string }) => r.partition));
  const results: CompactResult[] = [];
  for (const p of await listPartitions(db)) {
    if (p.to > olderThan || done.has(p.name)) continue;
    if (p.parent === 'readings_raw' && archiving) continue;
    // Two ingest workers may both run maintenance: the first takes the partition, the second skips it.
    const compacted = await db.tx(async (t) => {
      const { locked } = await t.one<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', [`compact ${p.name}`]);
      if (!locked || (await t.oneOrNone('SELECT 1 FROM compacted_partitions WHERE partition = $1', [p.name]))) return false;
      onPartition?.(p);
      await t.none('CLUSTER $1:name USING $2:name', [p.name, `${p.name}_pkey`]);
      await t.none('INSERT INTO compacted_partitions (partition) VALUES ($1)', [p.name]);
      return true;
    });
    if (!compacted) continue;
    const { bytes } = await db.one<{ bytes: string }>('SELECT pg_total_relation_size($1::regclass) AS bytes', [p.name]);
    results.push({ name: p.name, bytesBefore: p.bytes, bytesAfter: Number(bytes) });
  }
  return results;
}

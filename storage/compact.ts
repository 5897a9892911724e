import type { Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';
import { listPartitions, type PartitionInfo } from './partitions.js';

const compactedPartitions = sqlFile('storage', 'compacted-partitions.sql');
const compactLock = sqlFile('storage', 'compact-lock.sql');
const compacted = sqlFile('storage', 'compacted.sql');
const compactCluster = sqlFile('storage', 'compact-cluster.sql');
const compactRecord = sqlFile('storage', 'compact-record.sql');
const relationBytes = sqlFile('storage', 'relation-bytes.sql');

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
  onPartition?: (partition: PartitionInfo) => void;
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
  const done = new Set(await db.map(compactedPartitions, [], (row: { partition: string }) => row.partition));
  const results: CompactResult[] = [];
  for (const partition of await listPartitions(db)) {
    if (partition.to > olderThan || done.has(partition.name)) continue;
    if (partition.parent === 'readings_raw' && archiving) continue;
    // Two ingest workers may both run maintenance: the first takes the partition, the second skips it.
    const named = { partition: partition.name };
    const rewritten = await db.tx(async (t) => {
      const { locked } = await t.one<{ locked: boolean }>(compactLock, named);
      if (!locked || (await t.oneOrNone(compacted, named))) return false;
      onPartition?.(partition);
      await t.none(compactCluster, { ...named, primaryKey: `${partition.name}_pkey` });
      await t.none(compactRecord, named);
      return true;
    });
    if (!rewritten) continue;
    const { bytes } = await db.one<{ bytes: string }>(relationBytes, { table: partition.name });
    results.push({ name: partition.name, bytesBefore: partition.bytes, bytesAfter: Number(bytes) });
  }
  return results;
}

import type { Db } from '../shared/db.js';

/** The tables worth watching on a small disk, largest first in a normal installation. */
const TABLES = ['readings_raw', 'rollup_5m', 'rollup_1h', 'rollup_1d', 'rollup_dirty', 'rejected_messages', 'series', 'devices'] as const;

export interface TableUsage {
  table: string;
  /** On disk, with indexes and TOAST, summed over partitions. */
  bytes: number;
  /** PostgreSQL's estimate (from the last ANALYZE), except readings_raw: exact, from the rollups. */
  rows: number;
  partitions: number;
}

export interface DiskUsage {
  databaseBytes: number;
  tables: TableUsage[];
  /** readings_raw bytes per stored value, or null while empty. */
  rawBytesPerValue: number | null;
  oldestRaw: Date | null;
  /** 5-minute buckets waiting for the rollup job. */
  rollupBacklog: number;
}

export async function diskUsage(db: Db): Promise<DiskUsage> {
  const tables = await db.map(`
    SELECT t.name AS table,
      (SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree(t.name::regclass)) AS bytes,
      (SELECT coalesce(sum(greatest(c.reltuples, 0)), 0) FROM pg_partition_tree(t.name::regclass) p JOIN pg_class c ON c.oid = p.relid WHERE p.isleaf) AS rows,
      (SELECT count(*) FROM pg_partition_tree(t.name::regclass) WHERE isleaf AND level > 0) AS partitions
    FROM unnest($1::text[]) AS t(name)`, [TABLES],
  (r: { table: string; bytes: string; rows: string; partitions: string }): TableUsage => ({ table: r.table, bytes: Number(r.bytes), rows: Number(r.rows), partitions: Number(r.partitions) }));
  const { oldest, values, backlog, database } = await db.one<{ oldest: Date | null; values: string; backlog: number; database: string }>(`
    WITH oldest AS (SELECT min(ts) AS ts FROM readings_raw)
    SELECT (SELECT ts FROM oldest) AS oldest,
      (SELECT coalesce(sum(count), 0) FROM rollup_5m_live WHERE bucket >= pimonitor_bucket_5m((SELECT ts FROM oldest))) AS values,
      (SELECT count(*)::int FROM rollup_dirty) AS backlog,
      pg_database_size(current_database()) AS database`);
  const raw = tables.find((t) => t.table === 'readings_raw')!;
  raw.rows = Number(values);
  return {
    databaseBytes: Number(database),
    tables,
    rawBytesPerValue: raw.rows > 0 ? raw.bytes / raw.rows : null,
    oldestRaw: oldest,
    rollupBacklog: backlog,
  };
}

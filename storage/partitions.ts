import type { Db } from '../shared/db.js';

/** Tables partitioned by calendar month (UTC), their partitions named <parent>_YYYY_MM. */
export const MONTHLY_TABLES = ['readings_raw', 'rollup_5m'] as const;
export type MonthlyTable = (typeof MONTHLY_TABLES)[number];

export interface MonthPartition {
  parent: MonthlyTable;
  name: string;
  /** Inclusive lower and exclusive upper bound. */
  from: Date;
  to: Date;
}

/** The first instant of the calendar month (UTC) that holds `d`: the start of its partition. Pure. */
export const monthStartUtc = (d: Date): Date => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));

const PARTITION_NAME = /^(readings_raw|rollup_5m)_(\d{4})_(\d{2})$/;

/** The partition a name stands for, or null for a table pimonitor did not make. Pure. */
export function parsePartitionName(name: string): MonthPartition | null {
  const m = PARTITION_NAME.exec(name);
  if (!m) return null;
  const year = Number(m[2]);
  const month = Number(m[3]) - 1;
  if (month < 0 || month > 11) return null;
  return { parent: m[1] as MonthlyTable, name, from: new Date(Date.UTC(year, month, 1)), to: new Date(Date.UTC(year, month + 1, 1)) };
}

export interface PartitionInfo extends MonthPartition {
  bytes: number;
}

/** Every monthly partition, oldest first, with its size on disk including indexes. */
export async function listPartitions(db: Db): Promise<PartitionInfo[]> {
  const rows = await db.any<{ name: string; bytes: string }>(`
    SELECT c.relname AS name, pg_total_relation_size(c.oid) AS bytes
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
    WHERE p.relname = ANY($1) AND p.relnamespace = 'public'::regnamespace`, [MONTHLY_TABLES]);
  return rows
    .flatMap((r) => {
      const p = parsePartitionName(r.name);
      return p ? [{ ...p, bytes: Number(r.bytes) }] : [];
    })
    .sort((a, b) => a.from.getTime() - b.from.getTime() || a.name.localeCompare(b.name));
}

/**
 * Creates this month's and next month's partitions before any reading needs them, so ingest's batches
 * do not have to. lock_timeout: a CREATE waiting behind a long query would hold every insert up behind
 * it in the lock queue; better to give up and try again at the next run.
 */
export async function createPartitionsAhead(db: Db, now: Date): Promise<number> {
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return db.tx(async (t) => {
    await t.none("SET LOCAL lock_timeout = '3s'");
    let created = 0;
    for (const table of MONTHLY_TABLES) {
      const { n } = await t.one<{ n: number }>('SELECT pimonitor_create_partitions($1, ARRAY[$2, $3]::timestamptz[]) AS n', [table, now, next]);
      created += n;
    }
    return created;
  });
}

import type { Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';

const listPartitionsSql = sqlFile('storage', 'list-partitions.sql');
const createPartitions = sqlFile('storage', 'create-partitions.sql');
/** How long a statement of the running transaction waits for a lock (storage/retention.ts uses it too). */
export const setLockTimeout = sqlFile('storage', 'set-lock-timeout.sql');

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
  const match = PARTITION_NAME.exec(name);
  if (!match) return null;
  const year = Number(match[2]);
  const month = Number(match[3]) - 1;
  if (month < 0 || month > 11) return null;
  const from = new Date(Date.UTC(year, month, 1));
  return { parent: match[1] as MonthlyTable, name, from, to: new Date(Date.UTC(year, month + 1, 1)) };
}

export interface PartitionInfo extends MonthPartition {
  bytes: number;
}

/** Every monthly partition, oldest first, with its size on disk including indexes. */
export async function listPartitions(db: Db): Promise<PartitionInfo[]> {
  const rows = await db.any<{ name: string; bytes: string }>(listPartitionsSql, { tables: MONTHLY_TABLES });
  return rows
    .flatMap((row) => {
      const partition = parsePartitionName(row.name);
      return partition ? [{ ...partition, bytes: Number(row.bytes) }] : [];
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
    await t.none(setLockTimeout, { timeout: '3s' });
    let created = 0;
    for (const table of MONTHLY_TABLES) {
      const { n } = await t.one<{ n: number }>(createPartitions, { table, now, next });
      created += n;
    }
    return created;
  });
}

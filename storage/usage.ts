import type { Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';

const usageSql = sqlFile('storage', 'usage.sql');
const tableUsage = sqlFile('storage', 'table-usage.sql');
const countRowsSql = sqlFile('storage', 'count-rows.sql');

/** The tables worth watching on a small disk, largest first in a normal installation. */
const TABLES = [
  'readings_raw', 'readings_archive', 'rollup_5m', 'rollup_1h', 'rollup_1d', 'rollup_dirty', 'rejected_messages',
  'series', 'devices',
] as const;

const EXACT_BELOW_ROWS = 1_000_000;

export interface TableUsage {
  table: string;
  /** On disk, with indexes and TOAST, summed over partitions. */
  bytes: number;
  rows: number;
  /** Whether `rows` is PostgreSQL's estimate (from the last ANALYZE) rather than a count. */
  estimated: boolean;
  partitions: number;
}

export interface DiskUsage {
  databaseBytes: number;
  tables: TableUsage[];
  /** readings_raw bytes per stored value, or null while empty. */
  rawBytesPerValue: number | null;
  /**
   * Values in readings_archive (months past, sql/020_archive.sql), and its bytes per value; null below
   * PER_VALUE_FROM.
   */
  archivedValues: number;
  archivedBytesPerValue: number | null;
  oldestRaw: Date | null;
  /** 5-minute buckets waiting for the rollup job. */
  rollupBacklog: number;
}

/** Fewer raw values than this, and bytes per value is not given (the empty partitions' pages dominate). */
export const PER_VALUE_FROM = 10_000;

/** The rows of a table or partition, counted. */
export async function countRows(db: Db, table: string): Promise<number> {
  return (await db.one<{ rows: number }>(countRowsSql, { table })).rows;
}

export async function diskUsage(db: Db): Promise<DiskUsage> {
  const tables = await db.map(tableUsage, { tables: TABLES },
    (row: { table: string; bytes: string; rows: string; partitions: string }): TableUsage => ({
      table: row.table, bytes: Number(row.bytes), rows: Number(row.rows), estimated: true,
      partitions: Number(row.partitions),
    }));
  // Counting is cheap below a million rows, and an estimate of 0 for a table not yet analysed misleads.
  for (const table of tables) {
    const countedElsewhere = table.table === 'readings_raw' || table.table === 'readings_archive';
    if (countedElsewhere || table.rows >= EXACT_BELOW_ROWS) continue;
    table.rows = await countRows(db, table.table);
    table.estimated = false;
  }
  // Raw values are those the rollups count from the oldest raw reading on, less the archived ones among
  // them (late readings of an archived month leave raw readings older than archived ones).
  const { oldest, values, archived, archivedSince, backlog, database } = await db.one<{
    oldest: Date | null; values: string; archived: string; archivedSince: string; backlog: number; database: string;
  }>(usageSql);
  const raw = tables.find((table) => table.table === 'readings_raw')!;
  // Counted from the 5-minute rollups: exact, and far cheaper than counting raw rows.
  raw.rows = Number(values) - Number(archivedSince);
  raw.estimated = false;
  const archive = tables.find((table) => table.table === 'readings_archive')!;
  archive.rows = Number(archived);
  archive.estimated = false;
  return {
    databaseBytes: Number(database),
    tables,
    // A new database's few values share pages and indexes made for many: the ratio says nothing yet.
    rawBytesPerValue: raw.rows >= PER_VALUE_FROM ? raw.bytes / raw.rows : null,
    archivedValues: archive.rows,
    archivedBytesPerValue: archive.rows >= PER_VALUE_FROM ? archive.bytes / archive.rows : null,
    oldestRaw: oldest,
    rollupBacklog: backlog,
  };
}

import type { Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';
import { listPartitions, monthStartUtc, setLockTimeout, type MonthlyTable } from './partitions.js';
import { rollUp } from './rollup.js';
import { countRows } from './usage.js';

const retentionRows = sqlFile('storage', 'retention-rows.sql');
const dropPartition = sqlFile('storage', 'drop-partition.sql');
const deleteRowsChunk = sqlFile('storage', 'delete-rows-chunk.sql');
const forgetDirty = sqlFile('storage', 'forget-dirty.sql');

/** Days each tier is kept; 0 keeps it forever. */
export interface RetentionPolicy {
  rawDays: number;
  fiveMinuteDays: number;
  hourDays: number;
  dayDays: number;
  rejectedDays: number;
}

/**
 * Tables trimmed row by row: small ones (rollups per hour and day, rejected messages), and the archive
 * (a row per series and day), which goes a whole month at a time, as raw partitions do: its cutoff is the
 * start of the month that holds the raw cutoff (pimonitor_prepare_raw refuses readings before it).
 */
const ROW_TABLES = [
  { table: 'readings_archive', column: 'day', days: (p: RetentionPolicy) => p.rawDays, wholeMonths: true },
  { table: 'rollup_1h', column: 'bucket', days: (p: RetentionPolicy) => p.hourDays, wholeMonths: false },
  { table: 'rollup_1d', column: 'bucket', days: (p: RetentionPolicy) => p.dayDays, wholeMonths: false },
  { table: 'rejected_messages', column: 'received_at', days: (p: RetentionPolicy) => p.rejectedDays,
    wholeMonths: false },
] as const;
type RowTable = (typeof ROW_TABLES)[number]['table'];

const MONTHLY_DAYS: Record<MonthlyTable, (p: RetentionPolicy) => number> = {
  readings_raw: (p) => p.rawDays,
  rollup_5m: (p) => p.fiveMinuteDays,
};

export type RetentionItem =
  | { kind: 'partition'; table: MonthlyTable; name: string; from: Date; to: Date; rows: number; bytes: number }
  | { kind: 'rows'; table: RowTable; column: string; before: Date; rows: number; bytes: number };

/** The instant before which data of a tier kept `days` goes, or null when it is kept forever. Pure. */
export function cutoffOf(now: Date, days: number): Date | null {
  return days > 0 ? new Date(now.getTime() - days * 86_400_000) : null;
}

/**
 * What retention would remove now: whole monthly partitions that end before their tier's cutoff, and
 * rows of the small tables older than theirs. applyRetention removes exactly this list.
 */
export async function planRetention(db: Db, policy: RetentionPolicy, now: Date): Promise<RetentionItem[]> {
  const items: RetentionItem[] = [];
  for (const partition of await listPartitions(db)) {
    const cutoff = cutoffOf(now, MONTHLY_DAYS[partition.parent](policy));
    if (!cutoff || partition.to > cutoff) continue;
    const { parent, name, from, to, bytes } = partition;
    items.push({ kind: 'partition', table: parent, name, from, to, rows: await countRows(db, name), bytes });
  }
  for (const { table, column, days, wholeMonths } of ROW_TABLES) {
    const cutoff = cutoffOf(now, days(policy));
    if (!cutoff) continue;
    const before = wholeMonths ? monthStartUtc(cutoff) : cutoff;
    const { rows, bytes } = await db.one<{ rows: number; bytes: string }>(retentionRows, { table, column, before });
    if (rows > 0) items.push({ kind: 'rows', table, column, before, rows, bytes: Number(bytes) });
  }
  return items;
}

/**
 * Rows deleted per statement, so no single DELETE holds locks or bloats WAL for long (an archive row is a
 * series' day: 10,000 of them are 27 years of one series).
 */
const CHUNK_ROWS = 10_000;

/**
 * Removes what planRetention listed. Raw partitions are rolled up first (late readings in them may still
 * be waiting), then dropped whole; rows go in small chunks. `onItem` is told after each item.
 */
export async function applyRetention(db: Db, plan: readonly RetentionItem[],
  onItem: (item: RetentionItem) => void = () => {}): Promise<void> {
  if (plan.some((item) => item.table === 'readings_raw' || item.table === 'readings_archive')) await rollUp(db);
  for (const item of plan) {
    if (item.kind === 'partition') {
      await db.tx(async (t) => {
        // A DROP waiting behind a long query would hold every insert up behind it; give up instead.
        await t.none(setLockTimeout, { timeout: '5s' });
        await t.none(dropPartition, { partition: item.name });
        if (item.table === 'readings_raw') await t.none(forgetDirty, { before: item.to });
      });
    } else {
      const chunk = { table: item.table, column: item.column, before: item.before, limit: CHUNK_ROWS };
      for (;;) {
        const { rowCount } = await db.result(deleteRowsChunk, chunk);
        if (rowCount < CHUNK_ROWS) break;
      }
      if (item.table === 'readings_archive') await db.none(forgetDirty, { before: item.before });
    }
    onItem(item);
  }
}

export function retentionPolicyOf(storage: {
  retentionRawDays: number; retention5mDays: number; retention1hDays: number; retention1dDays: number;
  retentionRejectedDays: number;
}): RetentionPolicy {
  return {
    rawDays: storage.retentionRawDays,
    fiveMinuteDays: storage.retention5mDays,
    hourDays: storage.retention1hDays,
    dayDays: storage.retention1dDays,
    rejectedDays: storage.retentionRejectedDays,
  };
}

import { sqlFile } from '../shared/sql-file.js';

/** A benchmark's query from sql/bench/<name> (pg-promise QueryFile, loaded at import). */
export const benchSql = (name: string) => sqlFile('bench', name);
export type BenchQuery = ReturnType<typeof benchSql>;

/** The spool id the benchmarks' direct batch writes give ingest's store (no spool is behind them). */
export const BENCH_SPOOL_ID = '00000000-0000-4000-8000-000000000000';

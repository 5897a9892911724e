/** bench:storage part 2: the questions it EXPLAINs, each a file sql/bench/query-<name>.sql. */
import { benchSql, type BenchQuery } from './bench-sql.js';

export interface QueryCase {
  name: string;
  query: BenchQuery;
}

/** The README's, the cookbook's and the coming dashboard's and report's questions (sql/bench/query-*.sql). */
export const QUERIES: QueryCase[] = ([
  ['latest value of every series (latest_readings)', 'latest'],
  ['one series, last 24 h, raw', 'series-day-raw'],
  ['all series, last hour, raw', 'all-hour-raw'],
  ['one series, 7 days, 5-minute rollup (a chart)', 'series-week-5m'],
  ['one series, 30 days, hourly rollup', 'series-month-1h'],
  ['all series, daily min/max over 30 days', 'all-month-1d'],
  ['report: min/mean/max/last per series, last 24 h, from 5-minute rollups', 'report-day-5m'],
  ['gaps longer than 30 min in one device, last 7 days, raw', 'gaps-week-raw'],
  ['hours above 24 °C per device, last 7 days, raw', 'hours-above-week-raw'],
  ['count of all raw values (pimonitor db counts from rollup_5m instead)', 'count-raw'],
  ['past month: one series, one day, raw', 'past-month-day-raw'],
  ['past month: one series, the whole month, 5-minute rollup', 'past-month-5m'],
] as const).map(([name, file]) => ({ name, query: benchSql(`query-${file}.sql`) }));

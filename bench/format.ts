/** A figure for the benchmarks' tables: en-US grouping, `digits` decimals, '–' when it is not a number. */
export const fmt = (x: number, digits = 0): string => (Number.isFinite(x)
  ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
  : '–');

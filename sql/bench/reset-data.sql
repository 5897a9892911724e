TRUNCATE readings_raw, rollup_dirty, rollup_5m, rollup_1h, rollup_1d, series, devices, rejected_messages,
  nodered_readings, bench_commits

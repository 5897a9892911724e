-- bench:storage: all raw values counted (pimonitor db counts from rollup_5m instead).
SELECT count(*) FROM readings_raw

-- When each series was last heard from (what ingest stored), for stale rules after a restart.
SELECT device, sensor, metric, last_ts FROM series

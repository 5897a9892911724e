-- Rolls up at most ${maxBuckets} dirty buckets in one transaction (sql/018_rollups_merged_by_ingest.sql);
-- how many, null when another process is rolling up.
SELECT pimonitor_rollup(${maxBuckets}, ${allOpen}) AS n

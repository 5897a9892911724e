-- The last two 5-minute buckets of every series left to roll up, as between two runs of the job.
INSERT INTO rollup_dirty (series_id, bucket)
SELECT id, pimonitor_bucket_5m(now()) - b * interval '5 minutes' FROM series, generate_series(1, 2) b
ON CONFLICT DO NOTHING

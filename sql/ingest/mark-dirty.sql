-- After a batch's readings went in by COPY: marks the 5-minute buckets they fall in for the rollup job,
-- as insert-readings.sql does for the rows it inserts. ${ids} and ${buckets} are array literals, sorted
-- by series and bucket: one lock order for every writer. DO UPDATE holds an existing marker until commit.
INSERT INTO rollup_dirty (series_id, bucket)
SELECT * FROM unnest(${ids}::int[], ${buckets}::timestamptz[])
ON CONFLICT (series_id, bucket) DO UPDATE SET marked_at = EXCLUDED.marked_at

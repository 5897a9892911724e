-- One batch of readings: each ${…} is a whole column as an array literal. Names become series ids (the
-- series upsert runs first in the same transaction); a reading delivered again is skipped by the primary
-- key; the 5-minute buckets that got new rows are marked for the rollup job. DO UPDATE (not DO NOTHING)
-- locks an existing marker until this transaction ends, so the job cannot take it in between.
WITH batch AS (
  SELECT * FROM unnest(${ts}::timestamptz[], ${device}::text[], ${sensor}::text[], ${metric}::text[], ${value}::float8[])
    AS b(ts, device, sensor, metric, value)
), inserted AS (
  INSERT INTO readings_raw (series_id, ts, value)
  SELECT s.id, b.ts, b.value FROM batch b JOIN series s USING (device, sensor, metric)
  ON CONFLICT DO NOTHING
  RETURNING series_id, ts
)
INSERT INTO rollup_dirty (series_id, bucket)
SELECT DISTINCT series_id, pimonitor_bucket_5m(ts) FROM inserted
ORDER BY 1, 2 -- one lock order for every writer: no deadlock between two workers
ON CONFLICT (series_id, bucket) DO UPDATE SET marked_at = EXCLUDED.marked_at

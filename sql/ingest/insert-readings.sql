-- One batch of readings: each ${…} is a whole column as an array literal. Names become series ids (the
-- series upsert runs first in the same transaction); a reading delivered again is skipped by the primary
-- key; the rows actually inserted are merged into rollup_5m, rollup_1h and rollup_1d in this transaction
-- (pimonitor_rollup_add, sql/018_rollups_merged_by_ingest.sql), so a repeated reading adds nothing and
-- no bucket is left for the rollup job.
WITH batch AS (
  SELECT * FROM unnest(${ts}::timestamptz[], ${device}::text[], ${sensor}::text[], ${metric}::text[], ${value}::float8[])
    AS b(ts, device, sensor, metric, value)
), inserted AS (
  INSERT INTO readings_raw (series_id, ts, value)
  SELECT s.id, b.ts, b.value FROM batch b JOIN series s USING (device, sensor, metric)
  ON CONFLICT DO NOTHING
  RETURNING series_id, ts, value
)
SELECT pimonitor_rollup_add(array_agg(series_id), array_agg(ts), array_agg(value)) FROM inserted

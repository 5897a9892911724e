-- One batch of readings: each ${…} is a whole column as an array literal. Names become series ids (the
-- series upsert runs first in the same transaction); a reading delivered again is skipped by the primary
-- key, or because the archive holds it (pimonitor_archived, sql/020_archive.sql: a redelivery of a month
-- already archived); the rows actually inserted are merged into rollup_5m, rollup_1h and rollup_1d in this
-- transaction (pimonitor_rollup_add, sql/018_rollups_merged_by_ingest.sql), so a repeated reading adds
-- nothing and no bucket is left for the rollup job.
WITH batch AS (
  SELECT s.id AS series_id, b.ts, b.value
  FROM unnest(${ts}::timestamptz[], ${device}::text[], ${sensor}::text[], ${metric}::text[], ${value}::float8[])
    AS b(ts, device, sensor, metric, value)
  JOIN series s USING (device, sensor, metric)
), archived AS MATERIALIZED ( -- once for the batch, not once per reading (the planner would inline it)
  SELECT p.* FROM (SELECT array_agg(series_id) AS ids, array_agg(ts) AS stamps FROM batch) x
  CROSS JOIN LATERAL pimonitor_archived(x.ids, x.stamps) p
), inserted AS (
  INSERT INTO readings_raw (series_id, ts, value)
  SELECT b.series_id, b.ts, b.value FROM batch b
  WHERE NOT EXISTS (SELECT 1 FROM archived a WHERE a.series_id = b.series_id AND a.ts = b.ts)
  ON CONFLICT DO NOTHING
  RETURNING series_id, ts, value
)
SELECT pimonitor_rollup_add(array_agg(series_id), array_agg(ts), array_agg(value)) FROM inserted

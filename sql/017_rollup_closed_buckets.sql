-- Schema version 17: the rollup job takes a 5-minute bucket once it has closed, not while it fills.
--
-- Before, every run (each minute) took every dirty bucket, and at a steady rate the current bucket of
-- every series is always dirty: each run aggregated it again from its raw rows (up to 5 minutes of
-- them), merged its hour and day again, and took the markers ingest was updating in the same moment.
-- The cost of a run grew with how full the open buckets were, not with what had arrived, and under
-- sustained load the job fell behind ingest's commits (issue 28; docs/benchmarks.md has the figures).
--
-- Now a bucket is taken only when it ended at least a minute ago (pimonitor_rollup_due: a reading taken
-- at 12:04:59 that arrives a few seconds later still lands before its bucket is rolled up). Each bucket is
-- then aggregated once, its hour and day merged once; a late or repeated reading marks it dirty again
-- and it is rolled up again, as before. Nothing changes for readers: the readings_* views add every
-- dirty bucket computed from raw, so they are exact at any moment, rolled up or not.
-- pimonitor_rollup(n, true) takes every dirty bucket, open or not (`pimonitor db rollup --all`, tests).

-- Whether a dirty bucket is due for the rollup job: it ended at least a minute ago.
CREATE FUNCTION pimonitor_rollup_due(bucket timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN bucket + interval '6 minutes' <= now();

DROP FUNCTION pimonitor_rollup(integer);
CREATE FUNCTION pimonitor_rollup(max_buckets integer DEFAULT 5000, take_open boolean DEFAULT false) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  ids integer[];
  buckets timestamptz[];
  tz text := (SELECT rollup_time_zone FROM storage_settings);
BEGIN
  IF NOT pg_try_advisory_xact_lock(1885957487, 1) THEN RETURN NULL; END IF;
  WITH picked AS (
    SELECT series_id, bucket FROM rollup_dirty
    WHERE take_open OR pimonitor_rollup_due(bucket)
    ORDER BY bucket LIMIT max_buckets FOR UPDATE SKIP LOCKED
  ), taken AS (
    DELETE FROM rollup_dirty d USING picked p WHERE d.series_id = p.series_id AND d.bucket = p.bucket
    RETURNING d.series_id, d.bucket
  )
  SELECT array_agg(series_id), array_agg(bucket) INTO ids, buckets FROM taken;
  IF ids IS NULL THEN RETURN 0; END IF;

  PERFORM pimonitor_create_partitions('rollup_5m', buckets);
  DELETE FROM rollup_5m r USING unnest(ids, buckets) AS k(series_id, bucket) WHERE r.series_id = k.series_id AND r.bucket = k.bucket;
  INSERT INTO rollup_5m SELECT * FROM pimonitor_aggregate_raw(ids, buckets);

  DELETE FROM rollup_1h r USING unnest(ids, buckets) AS k(series_id, bucket)
  WHERE r.series_id = k.series_id AND r.bucket = date_trunc('hour', k.bucket, 'UTC');
  INSERT INTO rollup_1h SELECT * FROM pimonitor_merge_5m('hour', 'UTC', interval '90 minutes', ids, buckets, false);

  DELETE FROM rollup_1d r USING unnest(ids, buckets) AS k(series_id, bucket)
  WHERE r.series_id = k.series_id AND r.bucket = date_trunc('day', k.bucket, tz);
  INSERT INTO rollup_1d SELECT * FROM pimonitor_merge_5m('day', tz, interval '30 hours', ids, buckets, false);
  RETURN array_length(ids, 1);
END $$;
COMMENT ON FUNCTION pimonitor_rollup(integer, boolean) IS 'Rolls up at most max_buckets dirty 5-minute buckets that are due (pimonitor_rollup_due), or all with take_open, with their hours and days; returns how many, or NULL while another rollup runs. Call until 0.';

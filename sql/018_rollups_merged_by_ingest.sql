-- Schema version 18: ingest merges each batch into rollup_5m, rollup_1h and rollup_1d in the transaction
-- that writes its readings (issue 28).
--
-- Before, ingest marked each 5-minute bucket it wrote in rollup_dirty and the job re-aggregated the bucket
-- from its raw rows. At a steady rate that cost grew with how full the bucket was, not with what had
-- arrived, and the job's work and its FOR UPDATE on the markers competed with ingest's commits (soak p99
-- 12-19 s; 65 ms with the job off; docs/benchmarks.md). Everything in a rollup row merges (count, sum,
-- min, max, first, last), so now ingest computes the partial aggregate of the rows it actually inserted
-- (readings_raw's INSERT … ON CONFLICT DO NOTHING RETURNING: a redelivered reading adds nothing) and
-- merges it into the three tiers with INSERT … ON CONFLICT DO UPDATE: the cost is that of the batch.
--
-- rollup_dirty and the job stay for every other writer: the `readings` view's INSERT trigger, `pimonitor
-- db rollup --rebuild` (pimonitor_rollup_mark_all) and buckets marked before this version. The views are
-- unchanged and exact at any moment: a bucket that is not dirty has had every committed reading merged in
-- the same transaction that wrote it; a dirty one is computed from raw as before.
--
-- Why a bucket is exact when the job rewrites it while ingest merges into it (READ COMMITTED):
-- the job first locks every row it will rewrite, in 5m, 1h, 1d order and by (series_id, bucket) within
-- each (an existing row by a no-op DO UPDATE, a missing one by inserting a placeholder that it deletes
-- again), then aggregates with statements that start after those locks were granted. Ingest merges in
-- the same order (so neither can deadlock the other), and its raw rows commit with its merges. So for
-- each row the job rewrites, an ingest transaction that touched it either
--  - merged before the job's lock: the job waited for its commit, and the job's later statements (each a
--    new snapshot) see its raw rows and its 5-minute rows, and overwrite its merge with an aggregate
--    that includes them; or
--  - merges after: its merge waits for the job's commit, its raw rows were not committed while the job
--    aggregated (its commit comes after its merge), so the job's row lacks them and the merge adds them.
-- A 1h or 1d row is recomputed from rollup_5m, which holds 5-minute rows the job does not rewrite; any
-- transaction that changed one of them also merges into the hour and day that hold it, so the same
-- argument holds. A time-zone change (pimonitor_set_rollup_time_zone) rewrites the days: it takes
-- advisory lock (1885957487, 2) exclusively, ingest takes it shared before it reads the zone, so a batch
-- merges wholly in the old zone (before the recomputation, which then sees it) or wholly in the new one.

-- The partial aggregate per series and 5-minute bucket of the given readings (ids, stamps, vals: one
-- element per reading), with pimonitor_aggregate_raw's tie rules: min_at and max_at are the earliest of
-- equal extremes.
CREATE FUNCTION pimonitor_aggregate_rows(ids integer[], stamps timestamptz[], vals double precision[]) RETURNS SETOF rollup_5m
LANGUAGE sql IMMUTABLE AS $$
  SELECT u.series_id, count(*)::integer, pimonitor_bucket_5m(u.ts), sum(u.value), min(u.value), max(u.value),
    (array_agg(u.ts ORDER BY u.value, u.ts))[1], (array_agg(u.ts ORDER BY u.value DESC, u.ts))[1],
    min(u.ts), (array_agg(u.value ORDER BY u.ts))[1], max(u.ts), (array_agg(u.value ORDER BY u.ts DESC))[1]
  FROM unnest(ids, stamps, vals) AS u(series_id, ts, value)
  GROUP BY u.series_id, pimonitor_bucket_5m(u.ts)
$$;

-- Partial 5-minute aggregates merged into `unit` ('hour', 'day') buckets of zone `tz`, as
-- pimonitor_merge_5m merges stored ones.
CREATE FUNCTION pimonitor_merge_parts(parts rollup_5m[], unit text, tz text) RETURNS SETOF rollup_5m
LANGUAGE sql STABLE AS $$
  SELECT p.series_id, sum(p.count)::integer, date_trunc(unit, p.bucket, tz), sum(p.sum), min(p.min), max(p.max),
    (array_agg(p.min_at ORDER BY p.min, p.min_at))[1], (array_agg(p.max_at ORDER BY p.max DESC, p.max_at))[1],
    min(p.first_at), (array_agg(p.first_value ORDER BY p.first_at))[1], max(p.last_at), (array_agg(p.last_value ORDER BY p.last_at DESC))[1]
  FROM unnest(parts) AS p
  GROUP BY p.series_id, date_trunc(unit, p.bucket, tz)
$$;

-- Merges partial aggregates into one tier (rollup_5m, rollup_1h or rollup_1d), in (series_id, bucket)
-- order: count and sum added, min and max with the earlier time of equal extremes, the earlier first
-- and the later last. One statement for the three tiers, which share their columns.
CREATE FUNCTION pimonitor_merge_into(tier regclass, parts rollup_5m[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format($merge$
  INSERT INTO %s AS r SELECT * FROM unnest($1) AS p ORDER BY p.series_id, p.bucket
  ON CONFLICT (series_id, bucket) DO UPDATE SET
    count = r.count + EXCLUDED.count, sum = r.sum + EXCLUDED.sum,
    min = LEAST(r.min, EXCLUDED.min), max = GREATEST(r.max, EXCLUDED.max),
    min_at = CASE WHEN EXCLUDED.min < r.min OR (EXCLUDED.min = r.min AND EXCLUDED.min_at < r.min_at) THEN EXCLUDED.min_at ELSE r.min_at END,
    max_at = CASE WHEN EXCLUDED.max > r.max OR (EXCLUDED.max = r.max AND EXCLUDED.max_at < r.max_at) THEN EXCLUDED.max_at ELSE r.max_at END,
    first_at = LEAST(r.first_at, EXCLUDED.first_at),
    first_value = CASE WHEN EXCLUDED.first_at < r.first_at THEN EXCLUDED.first_value ELSE r.first_value END,
    last_at = GREATEST(r.last_at, EXCLUDED.last_at),
    last_value = CASE WHEN EXCLUDED.last_at > r.last_at THEN EXCLUDED.last_value ELSE r.last_value END
  $merge$, tier) USING parts;
END $$;

-- What ingest calls with the readings it has just inserted (none that were already stored): merges their
-- partial aggregates into the 5-minute, hour and day rollups; returns the 5-minute buckets touched.
-- Rows are merged in one lock order, tier by tier and by (series_id, bucket), the order the job locks in.
-- The *_at rules are those of pimonitor_aggregate_raw; first_at and last_at cannot tie between a stored
-- row and a batch, as readings_raw holds one reading per series and instant.
CREATE FUNCTION pimonitor_rollup_add(ids integer[], stamps timestamptz[], vals double precision[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  parts rollup_5m[];
  tz text;
BEGIN
  IF coalesce(cardinality(ids), 0) = 0 THEN RETURN 0; END IF;
  PERFORM pg_advisory_xact_lock_shared(1885957487, 2); -- see the top of this file: no time-zone change meanwhile
  tz := (SELECT rollup_time_zone FROM storage_settings);
  parts := ARRAY(SELECT p FROM pimonitor_aggregate_rows(ids, stamps, vals) AS p ORDER BY p.series_id, p.bucket);
  PERFORM pimonitor_create_partitions('rollup_5m', ARRAY(SELECT p.bucket FROM unnest(parts) AS p));

  PERFORM pimonitor_merge_into('rollup_5m', parts);
  PERFORM pimonitor_merge_into('rollup_1h', ARRAY(SELECT p FROM pimonitor_merge_parts(parts, 'hour', 'UTC') AS p));
  PERFORM pimonitor_merge_into('rollup_1d', ARRAY(SELECT p FROM pimonitor_merge_parts(parts, 'day', tz) AS p));
  RETURN cardinality(parts);
END $$;
COMMENT ON FUNCTION pimonitor_rollup_add(integer[], timestamptz[], double precision[]) IS 'Merges newly inserted readings (series ids, times, values) into rollup_5m, rollup_1h and rollup_1d; ingest calls it in the transaction that inserts them.';

-- Ingest's first statement of a batch also makes the rollup_5m partitions its merge will need (the
-- months of its readings are those of their 5-minute buckets), before the batch holds any row lock.
CREATE OR REPLACE FUNCTION pimonitor_prepare_raw(stamps timestamptz[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  keep interval := (SELECT raw_keep FROM storage_settings);
  floor timestamptz := date_trunc('month', (now() - keep) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  oldest timestamptz := (SELECT min(s) FROM unnest(stamps) s);
BEGIN
  IF keep IS NOT NULL AND oldest < floor THEN
    RAISE EXCEPTION 'reading taken at % is older than the raw readings kept: RETENTION_RAW_DAYS is %, so nothing before % is stored',
      to_char(oldest AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), extract(day FROM keep), to_char(floor AT TIME ZONE 'UTC', 'YYYY-MM-DD')
      USING ERRCODE = '22008';
  END IF;
  RETURN pimonitor_create_partitions('readings_raw', stamps) + pimonitor_create_partitions('rollup_5m', stamps);
END $$;

-- The job, as in version 17, but it locks the rows it rewrites before it aggregates (see the top).
CREATE OR REPLACE FUNCTION pimonitor_rollup(max_buckets integer DEFAULT 5000, take_open boolean DEFAULT false) RETURNS integer
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
  SELECT array_agg(series_id ORDER BY series_id, bucket), array_agg(bucket ORDER BY series_id, bucket) INTO ids, buckets FROM taken;
  IF ids IS NULL THEN RETURN 0; END IF;
  PERFORM pimonitor_create_partitions('rollup_5m', buckets);

  -- Lock every row to be rewritten, in ingest's order; a placeholder stands for a missing row until the
  -- DELETE below (nobody else sees it: it is never committed).
  INSERT INTO rollup_5m AS r
  SELECT k.series_id, 0, k.bucket, 0, 0, 0, k.bucket, k.bucket, k.bucket, 0, k.bucket, 0
  FROM (SELECT DISTINCT * FROM unnest(ids, buckets)) AS k(series_id, bucket) ORDER BY k.series_id, k.bucket
  ON CONFLICT (series_id, bucket) DO UPDATE SET count = r.count;
  INSERT INTO rollup_1h AS r
  SELECT k.series_id, 0, k.bucket, 0, 0, 0, k.bucket, k.bucket, k.bucket, 0, k.bucket, 0
  FROM (SELECT DISTINCT u.series_id, date_trunc('hour', u.bucket, 'UTC') FROM unnest(ids, buckets) AS u(series_id, bucket)) AS k(series_id, bucket)
  ORDER BY k.series_id, k.bucket
  ON CONFLICT (series_id, bucket) DO UPDATE SET count = r.count;
  INSERT INTO rollup_1d AS r
  SELECT k.series_id, 0, k.bucket, 0, 0, 0, k.bucket, k.bucket, k.bucket, 0, k.bucket, 0
  FROM (SELECT DISTINCT u.series_id, date_trunc('day', u.bucket, tz) FROM unnest(ids, buckets) AS u(series_id, bucket)) AS k(series_id, bucket)
  ORDER BY k.series_id, k.bucket
  ON CONFLICT (series_id, bucket) DO UPDATE SET count = r.count;

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

-- A time-zone change waits for batches merging in the old zone, and batches wait for it (see the top).
CREATE OR REPLACE FUNCTION pimonitor_set_rollup_time_zone(tz text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  oldest timestamptz;
BEGIN
  PERFORM now() AT TIME ZONE tz; -- an unknown zone fails here, before anything changes
  IF (SELECT rollup_time_zone FROM storage_settings) = tz THEN RETURN false; END IF;
  PERFORM pg_advisory_xact_lock(1885957487, 1);
  PERFORM pg_advisory_xact_lock(1885957487, 2);
  oldest := (SELECT min(bucket) FROM rollup_5m);
  UPDATE storage_settings SET rollup_time_zone = tz;
  DELETE FROM rollup_1d WHERE bucket > oldest - interval '25 hours';
  INSERT INTO rollup_1d
  SELECT * FROM pimonitor_merge_5m('day', tz, interval '30 hours',
    ARRAY(SELECT series_id FROM (SELECT DISTINCT series_id, date_trunc('day', bucket, tz) AS day FROM rollup_5m) d ORDER BY series_id, day),
    ARRAY(SELECT day FROM (SELECT DISTINCT series_id, date_trunc('day', bucket, tz) AS day FROM rollup_5m) d ORDER BY series_id, day), false);
  RETURN true;
END $$;

COMMENT ON TABLE rollup_dirty IS '5-minute buckets written by something other than ingest (the readings view''s INSERT, a rebuild) since the last rollup; emptied by pimonitor_rollup(). Ingest merges its batches into the rollups itself.';

-- Schema version 5: rollups per series in 5-minute, 1-hour and 1-day buckets.
--
-- Kept by pimonitor_rollup() from the 5-minute buckets each ingest batch marks dirty in its own
-- transaction, so late data of any age is rolled up; the readings_5m/1h/1d views add the buckets not
-- rolled up yet, so they are always up to date.

ALTER TABLE storage_settings ADD COLUMN rollup_time_zone text NOT NULL DEFAULT 'UTC';
COMMENT ON COLUMN storage_settings.rollup_time_zone IS 'Time zone of the daily rollups (ROLLUP_TIME_ZONE).';

-- Rollups: one row per series and bucket. Everything in them merges (count, sum, min, max, first,
-- last), so a bucket of a coarser tier is computed from the finer one; avg = sum / count.
CREATE TABLE rollup_5m (
  series_id   integer          NOT NULL,
  count       integer          NOT NULL, -- beside series_id: two 4-byte columns fill one 8-byte slot
  bucket      timestamptz      NOT NULL,
  sum         double precision NOT NULL,
  min         double precision NOT NULL,
  max         double precision NOT NULL,
  min_at      timestamptz      NOT NULL,
  max_at      timestamptz      NOT NULL,
  first_at    timestamptz      NOT NULL,
  first_value double precision NOT NULL,
  last_at     timestamptz      NOT NULL,
  last_value  double precision NOT NULL,
  PRIMARY KEY (series_id, bucket)
) PARTITION BY RANGE (bucket);
CREATE INDEX rollup_5m_bucket_brin ON rollup_5m USING brin (bucket);
CREATE TABLE rollup_1h (LIKE rollup_5m INCLUDING ALL);
CREATE TABLE rollup_1d (LIKE rollup_5m INCLUDING ALL);
CREATE INDEX rollup_1h_bucket ON rollup_1h (bucket);
CREATE INDEX rollup_1d_bucket ON rollup_1d (bucket);
COMMENT ON TABLE rollup_5m IS 'Per series, 5-minute buckets (UTC-aligned), partitioned by month. Query readings_5m, which includes data not yet rolled up.';
COMMENT ON TABLE rollup_1h IS 'Per series, 1-hour buckets (UTC hours). Query readings_1h.';
COMMENT ON TABLE rollup_1d IS 'Per series, days of storage_settings.rollup_time_zone (23 or 25 hours when clocks change). Query readings_1d.';

-- 5-minute buckets with readings written since the rollup job last ran. Ingest marks them in the
-- transaction that writes the readings (with DO UPDATE, which locks the marker, so the job cannot
-- delete it and miss rows of a transaction still open: see pimonitor_rollup).
CREATE TABLE rollup_dirty (
  series_id integer     NOT NULL,
  bucket    timestamptz NOT NULL,
  marked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (series_id, bucket)
);
COMMENT ON TABLE rollup_dirty IS '5-minute buckets changed since the last rollup; emptied by pimonitor_rollup().';

CREATE FUNCTION pimonitor_bucket_5m(ts timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN date_bin('5 minutes', ts, timestamptz '2000-01-01 00:00:00+00');

-- The 5-minute aggregate of raw readings for the given (series, bucket) keys. The aggregate sits in a
-- LATERAL subquery so each key is one index range scan whatever the statistics say (a join the planner
-- may choose instead, on series_id alone, compares every key with every row of its series).
CREATE FUNCTION pimonitor_aggregate_raw(ids integer[], buckets timestamptz[]) RETURNS SETOF rollup_5m
LANGUAGE sql STABLE AS $$
  SELECT k.series_id, a.count, k.bucket, a.sum, a.min, a.max, a.min_at, a.max_at, a.first_at, a.first_value, a.last_at, a.last_value
  FROM (SELECT DISTINCT * FROM unnest(ids, buckets)) AS k(series_id, bucket)
  CROSS JOIN LATERAL (
    SELECT count(*)::integer AS count, sum(x.value) AS sum, min(x.value) AS min, max(x.value) AS max,
      (array_agg(x.ts ORDER BY x.value, x.ts))[1] AS min_at, (array_agg(x.ts ORDER BY x.value DESC, x.ts))[1] AS max_at,
      min(x.ts) AS first_at, (array_agg(x.value ORDER BY x.ts))[1] AS first_value,
      max(x.ts) AS last_at, (array_agg(x.value ORDER BY x.ts DESC))[1] AS last_value
    FROM readings_raw x
    WHERE x.series_id = k.series_id AND x.ts >= k.bucket AND x.ts < k.bucket + interval '5 minutes'
  ) a
  WHERE a.count > 0
$$;

-- 5-minute buckets as they are now: rolled-up rows, and dirty buckets aggregated from raw.
CREATE VIEW rollup_5m_live AS
SELECT r.* FROM rollup_5m r
WHERE NOT EXISTS (SELECT 1 FROM rollup_dirty d WHERE d.series_id = r.series_id AND d.bucket = r.bucket)
UNION ALL
SELECT * FROM pimonitor_aggregate_raw((SELECT array_agg(series_id) FROM rollup_dirty), (SELECT array_agg(bucket) FROM rollup_dirty));

-- Merges 5-minute buckets into `unit` ('hour' or 'day') buckets of time zone `tz` that hold the given
-- 5-minute buckets. `step` reaches into the next bucket from a bucket's start (90 min, 30 h), so the
-- bucket's end is found with date_trunc even across a change of clocks. `live` reads rollup_5m_live
-- (the views: exact now) instead of rollup_5m (the job: a bucket still dirty is merged again when the
-- job reaches it, so it need not pay for aggregating every dirty bucket at each step).
CREATE FUNCTION pimonitor_merge_5m(unit text, tz text, step interval, ids integer[], buckets timestamptz[], live boolean) RETURNS SETOF rollup_1h
LANGUAGE sql STABLE AS $$
  SELECT k.series_id, a.count, k.bucket, a.sum, a.min, a.max, a.min_at, a.max_at, a.first_at, a.first_value, a.last_at, a.last_value
  FROM (SELECT DISTINCT u.series_id, date_trunc(unit, u.bucket, tz) FROM unnest(ids, buckets) AS u(series_id, bucket)) AS k(series_id, bucket)
  CROSS JOIN LATERAL (
    SELECT sum(f.count)::integer AS count, sum(f.sum) AS sum, min(f.min) AS min, max(f.max) AS max,
      (array_agg(f.min_at ORDER BY f.min, f.min_at))[1] AS min_at, (array_agg(f.max_at ORDER BY f.max DESC, f.max_at))[1] AS max_at,
      min(f.first_at) AS first_at, (array_agg(f.first_value ORDER BY f.first_at))[1] AS first_value,
      max(f.last_at) AS last_at, (array_agg(f.last_value ORDER BY f.last_at DESC))[1] AS last_value
    FROM (
      SELECT * FROM rollup_5m s
      WHERE NOT live AND s.series_id = k.series_id AND s.bucket >= k.bucket AND s.bucket < date_trunc(unit, k.bucket + step, tz)
      UNION ALL
      SELECT * FROM rollup_5m_live s
      WHERE live AND s.series_id = k.series_id AND s.bucket >= k.bucket AND s.bucket < date_trunc(unit, k.bucket + step, tz)
    ) f
  ) a
  WHERE a.count > 0
$$;

-- Rolls up at most `max_buckets` dirty 5-minute buckets and the hours and days that hold them; returns
-- how many it took, or NULL if another rollup is running. Call it until it returns 0.
--
-- Markers are taken FOR UPDATE SKIP LOCKED: one that an open ingest transaction has just marked is
-- locked by it and left for the next run; one taken here makes that transaction's marking wait and then
-- insert it anew. Either way, rows of a transaction still open are rolled up by a later run.
CREATE FUNCTION pimonitor_rollup(max_buckets integer DEFAULT 5000) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  ids integer[];
  buckets timestamptz[];
  tz text := (SELECT rollup_time_zone FROM storage_settings);
BEGIN
  IF NOT pg_try_advisory_xact_lock(1885957487, 1) THEN RETURN NULL; END IF;
  WITH picked AS (
    SELECT series_id, bucket FROM rollup_dirty ORDER BY bucket LIMIT max_buckets FOR UPDATE SKIP LOCKED
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

-- Marks every bucket that has raw readings for rollup (an existing database's conversion, or
-- `pimonitor db rollup --rebuild`); the maintenance job then works through them in small transactions.
CREATE FUNCTION pimonitor_rollup_mark_all() RETURNS bigint
LANGUAGE sql AS $$
  WITH marked AS (
    INSERT INTO rollup_dirty (series_id, bucket)
    SELECT DISTINCT series_id, pimonitor_bucket_5m(ts) FROM readings_raw
    ON CONFLICT (series_id, bucket) DO UPDATE SET marked_at = EXCLUDED.marked_at
    RETURNING 1
  ) SELECT count(*) FROM marked
$$;

-- Sets the time zone of daily rollups; when it changes, the days are recomputed from the 5-minute
-- rollups in the new zone. Days of the old zone that end before the oldest 5-minute bucket (when
-- RETENTION_5M_DAYS dropped those) are kept as they are; the first new day may then be partial.
CREATE FUNCTION pimonitor_set_rollup_time_zone(tz text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  oldest timestamptz := (SELECT min(bucket) FROM rollup_5m);
BEGIN
  PERFORM now() AT TIME ZONE tz; -- an unknown zone fails here, before anything changes
  IF (SELECT rollup_time_zone FROM storage_settings) = tz THEN RETURN false; END IF;
  PERFORM pg_advisory_xact_lock(1885957487, 1);
  UPDATE storage_settings SET rollup_time_zone = tz;
  DELETE FROM rollup_1d WHERE bucket > oldest - interval '25 hours';
  INSERT INTO rollup_1d
  SELECT * FROM pimonitor_merge_5m('day', tz, interval '30 hours',
    ARRAY(SELECT series_id FROM (SELECT DISTINCT series_id, date_trunc('day', bucket, tz) AS day FROM rollup_5m) d ORDER BY series_id, day),
    ARRAY(SELECT day FROM (SELECT DISTINCT series_id, date_trunc('day', bucket, tz) AS day FROM rollup_5m) d ORDER BY series_id, day), false);
  RETURN true;
END $$;

-- Each view is the stored rollup rows whose bucket is not dirty, plus the dirty buckets computed now.
-- The series join sits inside each branch, so a filter on device, sensor or metric reaches the
-- (series_id, bucket) index instead of reading every series' rows of the period.
CREATE VIEW readings_5m AS
SELECT r.bucket, s.device, s.sensor, s.metric, s.unit, r.count, r.sum / r.count AS avg, r.min, r.max,
  r.min_at, r.max_at, r.first_at, r.first_value, r.last_at, r.last_value, r.sum, r.series_id
FROM series s JOIN rollup_5m r ON r.series_id = s.id
WHERE NOT EXISTS (SELECT 1 FROM rollup_dirty d WHERE d.series_id = r.series_id AND d.bucket = r.bucket)
UNION ALL
SELECT r.bucket, s.device, s.sensor, s.metric, s.unit, r.count, r.sum / r.count AS avg, r.min, r.max,
  r.min_at, r.max_at, r.first_at, r.first_value, r.last_at, r.last_value, r.sum, r.series_id
FROM series s JOIN pimonitor_aggregate_raw((SELECT array_agg(series_id) FROM rollup_dirty), (SELECT array_agg(bucket) FROM rollup_dirty)) r ON r.series_id = s.id;

CREATE VIEW readings_1h AS
WITH dirty AS (SELECT DISTINCT series_id, date_trunc('hour', bucket, 'UTC') AS bucket FROM rollup_dirty)
SELECT r.bucket, s.device, s.sensor, s.metric, s.unit, r.count, r.sum / r.count AS avg, r.min, r.max,
  r.min_at, r.max_at, r.first_at, r.first_value, r.last_at, r.last_value, r.sum, r.series_id
FROM series s JOIN rollup_1h r ON r.series_id = s.id
WHERE NOT EXISTS (SELECT 1 FROM dirty d WHERE d.series_id = r.series_id AND d.bucket = r.bucket)
UNION ALL
SELECT r.bucket, s.device, s.sensor, s.metric, s.unit, r.count, r.sum / r.count AS avg, r.min, r.max,
  r.min_at, r.max_at, r.first_at, r.first_value, r.last_at, r.last_value, r.sum, r.series_id
FROM series s JOIN pimonitor_merge_5m('hour', 'UTC', interval '90 minutes', (SELECT array_agg(series_id) FROM dirty), (SELECT array_agg(bucket) FROM dirty), true) r ON r.series_id = s.id;

CREATE VIEW readings_1d AS
WITH tz AS (SELECT rollup_time_zone AS name FROM storage_settings),
dirty AS (SELECT DISTINCT series_id, date_trunc('day', bucket, (SELECT name FROM tz)) AS bucket FROM rollup_dirty)
SELECT r.bucket, s.device, s.sensor, s.metric, s.unit, r.count, r.sum / r.count AS avg, r.min, r.max,
  r.min_at, r.max_at, r.first_at, r.first_value, r.last_at, r.last_value, r.sum, r.series_id
FROM series s JOIN rollup_1d r ON r.series_id = s.id
WHERE NOT EXISTS (SELECT 1 FROM dirty d WHERE d.series_id = r.series_id AND d.bucket = r.bucket)
UNION ALL
SELECT r.bucket, s.device, s.sensor, s.metric, s.unit, r.count, r.sum / r.count AS avg, r.min, r.max,
  r.min_at, r.max_at, r.first_at, r.first_value, r.last_at, r.last_value, r.sum, r.series_id
FROM series s JOIN pimonitor_merge_5m('day', (SELECT name FROM tz), interval '30 hours', (SELECT array_agg(series_id) FROM dirty), (SELECT array_agg(bucket) FROM dirty), true) r ON r.series_id = s.id;

COMMENT ON VIEW readings_5m IS 'Per series and 5-minute bucket: count, avg, min, max (and when), first and last; up to date, including readings not yet rolled up.';
COMMENT ON VIEW readings_1h IS 'As readings_5m, per UTC hour.';
COMMENT ON VIEW readings_1d IS 'As readings_5m, per day in storage_settings.rollup_time_zone (bucket is the local midnight).';

-- INSERT INTO readings keeps working for imports and backfills: a new series is catalogued, the
-- partition made, the bucket marked for rollup, and a repeated reading ignored.
CREATE FUNCTION pimonitor_readings_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  sid integer;
BEGIN
  INSERT INTO series (device, sensor, metric, first_ts, last_ts, last_value, unit)
  VALUES (NEW.device, NEW.sensor, NEW.metric, NEW.ts, NEW.ts, NEW.value, coalesce(NEW.unit, pimonitor_unit_of(NEW.metric)))
  ON CONFLICT (device, sensor, metric) DO UPDATE SET
    first_ts = LEAST(series.first_ts, EXCLUDED.first_ts),
    last_value = CASE WHEN EXCLUDED.last_ts > series.last_ts THEN EXCLUDED.last_value ELSE series.last_value END,
    last_ts = GREATEST(series.last_ts, EXCLUDED.last_ts),
    unit = coalesce(series.unit, EXCLUDED.unit)
  RETURNING id INTO sid;
  PERFORM pimonitor_create_partitions('readings_raw', ARRAY[NEW.ts]);
  INSERT INTO readings_raw VALUES (sid, NEW.ts, NEW.value) ON CONFLICT DO NOTHING;
  IF FOUND THEN
    INSERT INTO rollup_dirty (series_id, bucket) VALUES (sid, pimonitor_bucket_5m(NEW.ts))
    ON CONFLICT (series_id, bucket) DO UPDATE SET marked_at = EXCLUDED.marked_at;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER readings_insert INSTEAD OF INSERT ON readings FOR EACH ROW EXECUTE FUNCTION pimonitor_readings_insert();
COMMENT ON VIEW readings IS 'One row per metric value (readings_raw with names). INSERT works too: a repeated reading is ignored.';

-- Everything already stored (a converted database), for the maintenance job to roll up.
SELECT pimonitor_rollup_mark_all();

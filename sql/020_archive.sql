-- Schema version 20: the archive tier (issue 30, item 2).
--
-- readings_archive holds months that no longer change in one row per series and UTC day: the times and the
-- values as arrays, compressed by TOAST with pglz (PGlite and PostgreSQL both have it; lz4 is optional in
-- PostgreSQL). A time is stored as its offset from a regular grid, the i-th reading (from 1) at
-- day + (offsets[i] + (i - 1) * step_ms) ms, with step_ms the day's median interval: a node reading every
-- 10 s gives offsets near 0, which pglz compresses to almost nothing, where plain milliseconds into the
-- day do not compress at all (each differs from the last). No running sum is needed to decode, so a day
-- decodes as fast as plain times. About 1 to 3 bytes per value against 84 in readings_raw
-- (docs/benchmarks.md). The maintenance job (storage/archive.ts) moves a month's
-- readings of one series at a time out of readings_raw and merges them into the month's rows here.
--
-- Contracts:
--  - Each reading is in readings_raw or in readings_archive, never both: a reading is moved (DELETE …
--    RETURNING, then merged) in one transaction, and every writer of readings_raw skips a reading the
--    archive already holds (insert-readings.sql, the readings view's INSERT; the COPY path fails with
--    23505 and ingest writes the batch the unnest() way, which skips it).
--  - Why a redelivery racing the move cannot be stored twice: the move of a month takes advisory lock
--    (1885957488, month) exclusively; ingest takes it shared for each month of its batch in its first
--    statement (pimonitor_prepare_raw), the readings view's INSERT for its row. So a batch with readings
--    of that month either commits before the move starts (the move then moves them) or starts its next
--    statement after the move committed (and its archive check sees the moved readings). The move only
--    tries the lock (pg_try_advisory_xact_lock): it never queues in front of ingest.
--  - A late reading for an archived day lands in readings_raw (with its rollups, as any reading), and the
--    next archiving run merges it into the day's row. Rollups are never touched by archiving.
--  - Only readings on whole milliseconds are archived; one with microseconds (possible through INSERT INTO
--    readings) stays in readings_raw until retention, so it reads back exactly.
--  - `readings` shows both; a time filter on it cannot be used to skip archived days (PostgreSQL does not
--    derive a bound on `day` from one on the computed time), so pimonitor_readings_between(from, to) is
--    the form that reads only the days asked for (export uses it).

CREATE TABLE readings_archive (
  series_id integer            NOT NULL,
  n         integer            NOT NULL, -- cardinality(offsets): counted without decompressing the arrays
  day       timestamptz        NOT NULL, -- a UTC midnight
  step_ms   integer            NOT NULL,
  offsets   integer[]          NOT NULL,
  vals      double precision[] NOT NULL,
  PRIMARY KEY (series_id, day)
);
ALTER TABLE readings_archive ALTER COLUMN offsets SET COMPRESSION pglz, ALTER COLUMN vals SET COMPRESSION pglz;
-- A period of all series (pimonitor_readings_between, export): a few kB per series and year.
CREATE INDEX readings_archive_day ON readings_archive (day);
COMMENT ON TABLE readings_archive IS 'Readings of months past, one row per series and UTC day, TOAST-compressed '
  'arrays (pimonitor_archive_unpack reads a row). Query the readings view; a reading is here or in readings_raw, '
  'never both.';
COMMENT ON COLUMN readings_archive.n IS 'How many readings the row holds.';
COMMENT ON COLUMN readings_archive.step_ms IS 'The day''s median interval between readings, in milliseconds.';
COMMENT ON COLUMN readings_archive.offsets IS 'The i-th reading (from 1, in time order) was taken '
  'offsets[i] + (i - 1) * step_ms milliseconds after day.';
COMMENT ON COLUMN readings_archive.vals IS 'Each reading''s value, in time order.';

-- The readings of one archive row, in time order. Inlined by the planner into the query that calls it.
CREATE FUNCTION pimonitor_archive_unpack(day timestamptz, step_ms integer, offsets integer[], vals double precision[])
RETURNS TABLE (ts timestamptz, value double precision)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT day + (u.off + (u.o - 1) * step_ms) * interval '1 millisecond', u.value
  FROM unnest(offsets, vals) WITH ORDINALITY AS u(off, value, o)
$$;

-- The advisory lock key of a month (the UTC month of `ts`), for (1885957488, key).
CREATE FUNCTION pimonitor_archive_month_key(ts timestamptz) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (extract(year FROM ts AT TIME ZONE 'UTC') * 12 + extract(month FROM ts AT TIME ZONE 'UTC'))::integer;

-- Taken shared by every writer of readings_raw for each month it writes, before it reads the archive.
CREATE FUNCTION pimonitor_archive_lock_shared(stamps timestamptz[]) RETURNS void
LANGUAGE sql AS $$
  SELECT count(pg_advisory_xact_lock_shared(1885957488, k))
  FROM (SELECT DISTINCT pimonitor_archive_month_key(s) AS k FROM unnest(stamps) s WHERE s IS NOT NULL ORDER BY 1) m
$$;

-- The readings among (ids, stamps) (one element per reading) that the archive holds already. Only the
-- archive rows of the batch's series and days are read: none at all for a batch of recent readings.
CREATE FUNCTION pimonitor_archived(ids integer[], stamps timestamptz[])
RETURNS TABLE (series_id integer, ts timestamptz)
LANGUAGE sql STABLE AS $$
  WITH k AS (SELECT DISTINCT u.id, u.ts FROM unnest(ids, stamps) AS u(id, ts))
  SELECT k.id, k.ts FROM k JOIN (
    SELECT a.series_id, u.ts
    FROM readings_archive a CROSS JOIN LATERAL pimonitor_archive_unpack(a.day, a.step_ms, a.offsets, a.vals) AS u
    WHERE (a.series_id, a.day) IN (SELECT DISTINCT k.id, date_trunc('day', k.ts, 'UTC') FROM k)
  ) h ON h.series_id = k.id AND h.ts = k.ts
$$;

-- Ingest's first statement of a batch, as in version 18, and the month locks described at the top.
CREATE OR REPLACE FUNCTION pimonitor_prepare_raw(stamps timestamptz[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  keep interval := (SELECT raw_keep FROM storage_settings);
  floor timestamptz := date_trunc('month', (now() - keep) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  oldest timestamptz := (SELECT min(s) FROM unnest(stamps) s);
BEGIN
  IF keep IS NOT NULL AND oldest < floor THEN
    RAISE EXCEPTION 'reading taken at % is older than the raw readings kept: RETENTION_RAW_DAYS is %, so nothing '
      'before % is stored',
      to_char(oldest AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), extract(day FROM keep),
      to_char(floor AT TIME ZONE 'UTC', 'YYYY-MM-DD')
      USING ERRCODE = '22008';
  END IF;
  PERFORM pimonitor_archive_lock_shared(stamps);
  RETURN pimonitor_create_partitions('readings_raw', stamps) + pimonitor_create_partitions('rollup_5m', stamps);
END $$;

-- After a COPY of a batch into readings_raw: a reading the archive holds makes the batch fail as a
-- duplicate key would (ingest then writes it the unnest() way, which skips it); else as version 18.
CREATE FUNCTION pimonitor_rollup_add_copied(ids integer[], stamps timestamptz[], vals double precision[])
RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pimonitor_archived(ids, stamps)) THEN
    RAISE EXCEPTION 'a reading of the batch is archived already' USING ERRCODE = 'unique_violation';
  END IF;
  RETURN pimonitor_rollup_add(ids, stamps, vals);
END $$;

-- Readings of [from_ts, to_ts) from both tiers, reading only the archived days in the range.
CREATE FUNCTION pimonitor_readings_between(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (ts timestamptz, device text, sensor text, metric text, value double precision, unit text)
LANGUAGE sql STABLE AS $$
  SELECT r.ts, s.device, s.sensor, s.metric, r.value, s.unit
  FROM readings_raw r JOIN series s ON s.id = r.series_id
  WHERE r.ts >= from_ts AND r.ts < to_ts
  UNION ALL
  SELECT u.ts, s.device, s.sensor, s.metric, u.value, s.unit
  FROM readings_archive a JOIN series s ON s.id = a.series_id
  CROSS JOIN LATERAL pimonitor_archive_unpack(a.day, a.step_ms, a.offsets, a.vals) AS u
  WHERE a.day >= date_trunc('day', from_ts, 'UTC') AND a.day < to_ts AND u.ts >= from_ts AND u.ts < to_ts
$$;
COMMENT ON FUNCTION pimonitor_readings_between(timestamptz, timestamptz) IS
  'The readings view''s rows of [from, to), reading only the archived days in the range.';

CREATE OR REPLACE VIEW readings AS
SELECT r.ts, s.device, s.sensor, s.metric, r.value, s.unit
FROM readings_raw r JOIN series s ON s.id = r.series_id
UNION ALL
SELECT u.ts, s.device, s.sensor, s.metric, u.value, s.unit
FROM readings_archive a JOIN series s ON s.id = a.series_id
CROSS JOIN LATERAL pimonitor_archive_unpack(a.day, a.step_ms, a.offsets, a.vals) AS u;
COMMENT ON VIEW readings IS 'One row per metric value, raw and archived (readings_raw and readings_archive with '
  'names). INSERT works too: a repeated reading is ignored. A time filter does not skip archived days: '
  'pimonitor_readings_between(from, to) does.';

-- INSERT INTO readings as in version 5, skipping a reading the archive holds (and locking its month).
CREATE OR REPLACE FUNCTION pimonitor_readings_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  sid integer;
BEGIN
  INSERT INTO series (device, sensor, metric, first_ts, last_ts, last_value, unit)
  VALUES (NEW.device, NEW.sensor, NEW.metric, NEW.ts, NEW.ts, NEW.value,
    coalesce(NEW.unit, pimonitor_unit_of(NEW.metric)))
  ON CONFLICT (device, sensor, metric) DO UPDATE SET
    first_ts = LEAST(series.first_ts, EXCLUDED.first_ts),
    last_value = CASE WHEN EXCLUDED.last_ts > series.last_ts THEN EXCLUDED.last_value ELSE series.last_value END,
    last_ts = GREATEST(series.last_ts, EXCLUDED.last_ts),
    unit = coalesce(series.unit, EXCLUDED.unit)
  RETURNING id INTO sid;
  PERFORM pimonitor_archive_lock_shared(ARRAY[NEW.ts]);
  IF EXISTS (SELECT 1 FROM pimonitor_archived(ARRAY[sid], ARRAY[NEW.ts])) THEN RETURN NEW; END IF;
  PERFORM pimonitor_create_partitions('readings_raw', ARRAY[NEW.ts]);
  INSERT INTO readings_raw VALUES (sid, NEW.ts, NEW.value) ON CONFLICT DO NOTHING;
  IF FOUND THEN
    INSERT INTO rollup_dirty (series_id, bucket) VALUES (sid, pimonitor_bucket_5m(NEW.ts))
    ON CONFLICT (series_id, bucket) DO UPDATE SET marked_at = EXCLUDED.marked_at;
  END IF;
  RETURN NEW;
END $$;

-- The 5-minute aggregate of the readings of each (series, bucket) key, raw and archived (a bucket lies in
-- one UTC day, so in one archive row); otherwise as in version 5.
CREATE OR REPLACE FUNCTION pimonitor_aggregate_raw(ids integer[], buckets timestamptz[]) RETURNS SETOF rollup_5m
LANGUAGE sql STABLE AS $$
  SELECT k.series_id, a.count, k.bucket, a.sum, a.min, a.max, a.min_at, a.max_at, a.first_at, a.first_value,
    a.last_at, a.last_value
  FROM (SELECT DISTINCT * FROM unnest(ids, buckets)) AS k(series_id, bucket)
  CROSS JOIN LATERAL (
    SELECT count(*)::integer AS count, sum(x.value) AS sum, min(x.value) AS min, max(x.value) AS max,
      (array_agg(x.ts ORDER BY x.value, x.ts))[1] AS min_at, (array_agg(x.ts ORDER BY x.value DESC, x.ts))[1] AS max_at,
      min(x.ts) AS first_at, (array_agg(x.value ORDER BY x.ts))[1] AS first_value,
      max(x.ts) AS last_at, (array_agg(x.value ORDER BY x.ts DESC))[1] AS last_value
    FROM (
      SELECT r.ts, r.value FROM readings_raw r
      WHERE r.series_id = k.series_id AND r.ts >= k.bucket AND r.ts < k.bucket + interval '5 minutes'
      UNION ALL
      SELECT u.ts, u.value
      FROM readings_archive h CROSS JOIN LATERAL pimonitor_archive_unpack(h.day, h.step_ms, h.offsets, h.vals) AS u
      WHERE h.series_id = k.series_id AND h.day = date_trunc('day', k.bucket, 'UTC')
        AND u.ts >= k.bucket AND u.ts < k.bucket + interval '5 minutes'
    ) x
  ) a
  WHERE a.count > 0
$$;

-- `pimonitor db rollup --rebuild`: every bucket with readings, raw or archived.
CREATE OR REPLACE FUNCTION pimonitor_rollup_mark_all() RETURNS bigint
LANGUAGE sql AS $$
  WITH marked AS (
    INSERT INTO rollup_dirty (series_id, bucket)
    SELECT series_id, pimonitor_bucket_5m(ts) FROM readings_raw
    UNION
    SELECT a.series_id, pimonitor_bucket_5m(u.ts)
    FROM readings_archive a CROSS JOIN LATERAL pimonitor_archive_unpack(a.day, a.step_ms, a.offsets, a.vals) AS u
    ON CONFLICT (series_id, bucket) DO UPDATE SET marked_at = EXCLUDED.marked_at
    RETURNING 1
  ) SELECT count(*) FROM marked
$$;

-- Moves the readings of series `sid` in the UTC month starting `month` from readings_raw into the archive,
-- merged with the days archived before; returns how many it moved, or NULL when ingest is writing
-- readings of that month right now (try again later). Readings with microseconds stay raw (see the top).
CREATE FUNCTION pimonitor_archive_series_month(sid integer, month timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  moved integer;
BEGIN
  IF NOT pg_try_advisory_xact_lock(1885957488, pimonitor_archive_month_key(month)) THEN RETURN NULL; END IF;
  -- Old and new readings of each day merged; should one be in both, the archived one (delivered first) stays.
  -- Each day is then encoded anew around its median interval (see the top).
  WITH gone AS (
    DELETE FROM readings_raw
    -- The month's end in UTC: timestamptz + interval adds a month in the session's time zone.
    WHERE series_id = sid AND ts >= month AND ts < ((month AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC'
      AND ts = date_trunc('milliseconds', ts)
    RETURNING ts, value
  ), merged AS (
    SELECT DISTINCT ON (y.day, y.ts) y.day, y.ts, y.value FROM (
      SELECT date_trunc('day', g.ts, 'UTC') AS day, g.ts, g.value, 1 AS rank FROM gone g
      UNION ALL
      SELECT a.day, u.ts, u.value, 0
      FROM readings_archive a CROSS JOIN LATERAL pimonitor_archive_unpack(a.day, a.step_ms, a.offsets, a.vals) AS u
      WHERE a.series_id = sid AND a.day IN (SELECT DISTINCT date_trunc('day', g.ts, 'UTC') FROM gone g)
    ) y ORDER BY y.day, y.ts, y.rank
  ), timed AS (
    SELECT m.day, m.value, row_number() OVER w - 1 AS i, m.ms, m.ms - lag(m.ms) OVER w AS delta
    FROM (SELECT day, value, (extract(epoch FROM ts - day) * 1000)::integer AS ms FROM merged) m
    WINDOW w AS (PARTITION BY m.day ORDER BY m.ms)
  ), steps AS (
    SELECT day, coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY delta), 0) AS step_ms FROM timed GROUP BY day
  ), stored AS (
    INSERT INTO readings_archive AS r (series_id, n, day, step_ms, offsets, vals)
    SELECT sid, count(*), t.day, s.step_ms,
      array_agg((t.ms - t.i * s.step_ms)::integer ORDER BY t.ms), array_agg(t.value ORDER BY t.ms)
    FROM timed t JOIN steps s USING (day)
    GROUP BY t.day, s.step_ms
    ON CONFLICT (series_id, day) DO UPDATE
    SET n = EXCLUDED.n, step_ms = EXCLUDED.step_ms, offsets = EXCLUDED.offsets, vals = EXCLUDED.vals
  )
  SELECT count(*) INTO moved FROM gone;
  RETURN moved;
END $$;
COMMENT ON FUNCTION pimonitor_archive_series_month(integer, timestamptz) IS 'Moves one series'' readings of one UTC '
  'month from readings_raw into readings_archive; NULL while ingest writes that month.';

-- After a month's readings are archived: empties its readings_raw partition `part` (TRUNCATE gives the
-- space of the deleted rows and their index entries back at once; VACUUM would keep the files) when no
-- reading is left in it and no batch is writing to it. Returns whether it did. The partition stays, for
-- late readings of that month. It gives up rather than wait for a query reading the partition.
CREATE FUNCTION pimonitor_archive_release(part regclass, month timestamptz) RETURNS boolean
LANGUAGE plpgsql SET lock_timeout = '3s' AS $$
DECLARE
  empty boolean;
BEGIN
  IF NOT pg_try_advisory_xact_lock(1885957488, pimonitor_archive_month_key(month)) THEN RETURN false; END IF;
  EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', part);
  EXECUTE format('SELECT NOT EXISTS (SELECT 1 FROM %s)', part) INTO empty;
  IF NOT empty THEN RETURN false; END IF;
  EXECUTE format('TRUNCATE %s', part);
  RETURN true;
EXCEPTION WHEN lock_not_available THEN
  RETURN false;
END $$;

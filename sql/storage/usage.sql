-- `pimonitor db`'s counts: the oldest raw reading; the values the 5-minute rollups count from its bucket on
-- (raw and archived); the archived values, all and from that bucket on (readings_archive.n, so no array is
-- decompressed but that of the bucket's own day); the rollup backlog; the database's size.
WITH oldest AS (SELECT min(ts) AS ts, pimonitor_bucket_5m(min(ts)) AS bucket FROM readings_raw)
SELECT (SELECT ts FROM oldest) AS oldest,
  (SELECT coalesce(sum(count), 0) FROM rollup_5m_live WHERE bucket >= (SELECT bucket FROM oldest)) AS values,
  (SELECT coalesce(sum(n), 0) FROM readings_archive) AS archived,
  (SELECT coalesce(sum(CASE WHEN a.day >= o.bucket THEN a.n
     ELSE (SELECT count(*) FROM pimonitor_archive_unpack(a.day, a.step_ms, a.offsets, a.vals) AS u
           WHERE u.ts >= o.bucket)
     END), 0)
   FROM readings_archive a, oldest o WHERE a.day + interval '1 day' > o.bucket) AS "archivedSince",
  (SELECT count(*)::int FROM rollup_dirty WHERE pimonitor_rollup_due(bucket)) AS backlog,
  pg_database_size(current_database()) AS database

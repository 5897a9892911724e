-- The baseline: report-stats-rollups.sql's statistics from readings_raw.
SELECT series_id, count(*), avg(value), min(value), (array_agg(ts ORDER BY value))[1], max(value),
  (array_agg(ts ORDER BY value DESC))[1], (array_agg(value ORDER BY ts DESC))[1]
FROM readings_raw WHERE ts >= ${from} AND ts < ${to} GROUP BY series_id

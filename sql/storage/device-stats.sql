-- Every device with what it has stored (storage/device-stats.ts): values over all time from the daily
-- rollups, those still raw (the hourly rollups from the oldest raw reading's hour on) and those archived.
WITH oldest AS (SELECT date_trunc('hour', min(ts), 'UTC') AS ts FROM readings_raw),
stored AS (SELECT device, sum(count) AS values FROM readings_1d GROUP BY device),
-- Archived values of the days since the oldest raw reading (late readings of an archived month) are not raw.
archived AS (
  SELECT s.device, sum(a.n) AS values,
    sum(a.n) FILTER (WHERE a.day >= date_trunc('day', (SELECT ts FROM oldest), 'UTC')) AS since
  FROM readings_archive a JOIN series s ON s.id = a.series_id GROUP BY s.device),
raw AS (
  SELECT device, sum(count) AS values FROM readings_1h WHERE bucket >= (SELECT ts FROM oldest) GROUP BY device),
catalogue AS (
  SELECT device, count(*)::int AS series, array_agg(DISTINCT sensor ORDER BY sensor) AS sensors
  FROM series GROUP BY device)
SELECT d.device, d.status, d.first_seen, d.last_seen,
  coalesce(catalogue.series, 0) AS series, coalesce(catalogue.sensors, '{}') AS sensors,
  coalesce(stored.values, 0) AS values,
  greatest(coalesce(raw.values, 0) - coalesce(archived.since, 0), 0) AS raw_values,
  coalesce(archived.values, 0) AS archived_values
FROM devices d LEFT JOIN catalogue USING (device) LEFT JOIN stored USING (device) LEFT JOIN raw USING (device)
  LEFT JOIN archived USING (device)
ORDER BY d.device

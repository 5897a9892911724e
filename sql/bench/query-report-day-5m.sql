-- bench:storage: a report's min, mean, max and last per series, the last 24 h, from 5-minute rollups.
SELECT device, sensor, metric, min(min), sum(sum) / sum(count) AS mean, max(max),
  (array_agg(last_value ORDER BY last_at DESC))[1] AS last
FROM readings_5m WHERE bucket >= now() - interval '1 day' GROUP BY 1, 2, 3

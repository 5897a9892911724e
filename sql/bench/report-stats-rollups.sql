-- A report's statistics per series (count, mean, min and max with when, last), from the 5-minute rollups.
SELECT series_id, sum(count), sum(sum) / sum(count), min(min), (array_agg(min_at ORDER BY min))[1], max(max),
  (array_agg(max_at ORDER BY max DESC))[1], (array_agg(last_value ORDER BY last_at DESC))[1]
FROM readings_5m WHERE bucket >= ${from} AND bucket < ${to} GROUP BY series_id

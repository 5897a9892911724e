-- Per series over [from, to): readings, mean, min and max with when, the newest value. $4 is the
-- rollup view (readings_5m, or readings_1h when the period starts and ends on whole UTC hours).
SELECT series_id, sum(count)::bigint AS count, sum(sum) / sum(count) AS mean,
  min(min) AS min, (array_agg(min_at ORDER BY min, min_at))[1] AS min_at,
  max(max) AS max, (array_agg(max_at ORDER BY max DESC, max_at))[1] AS max_at,
  (array_agg(last_value ORDER BY last_at DESC))[1] AS last, max(last_at) AS last_at, min(first_at) AS first_at
FROM $4:name
WHERE series_id = ANY($1::int[]) AND bucket >= $2 AND bucket < $3
GROUP BY series_id

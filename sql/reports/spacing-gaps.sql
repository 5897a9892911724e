-- Per series over [from, to), from the 5-minute rollups: the typical spacing of readings (median of
-- the spacing inside buckets with two or more, else between buckets), and every silence longer than
-- $4 ms between two readings (any such gap crosses buckets: first_at of one, last_at of the one before).
WITH b AS (
  SELECT series_id, bucket, count, first_at, last_at,
    lag(last_at) OVER (PARTITION BY series_id ORDER BY bucket) AS before
  FROM readings_5m
  WHERE series_id = ANY($1::int[]) AND bucket >= $2 AND bucket < $3
)
SELECT series_id,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY CASE WHEN count > 1
    THEN extract(epoch FROM last_at - first_at) * 1000 / (count - 1)
    ELSE extract(epoch FROM first_at - before) * 1000 END) AS spacing_ms,
  coalesce(array_agg(before ORDER BY bucket)
    FILTER (WHERE first_at - before > $4 * interval '1 millisecond'), '{}') AS gap_from,
  coalesce(array_agg(first_at ORDER BY bucket)
    FILTER (WHERE first_at - before > $4 * interval '1 millisecond'), '{}') AS gap_to
FROM b
GROUP BY series_id

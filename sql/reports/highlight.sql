-- Time beyond a threshold per highlight and local day ($5 is the time zone): the 5-minute buckets whose
-- mean is above hi or below lo. $1..$3 are parallel arrays: series, lo, hi; i numbers them from 1.
SELECT t.i::int AS i, date_trunc('day', r.bucket, $5) AS day, count(*)::int AS buckets
FROM unnest($1::int[], $2::float8[], $3::float8[]) WITH ORDINALITY AS t(series_id, lo, hi, i)
JOIN readings_5m r ON r.series_id = t.series_id
WHERE r.bucket >= $4 AND r.bucket < $6 AND (r.avg > t.hi OR r.avg < t.lo)
GROUP BY 1, 2
ORDER BY 1, 2

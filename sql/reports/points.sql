-- What the charts draw: per series and bucket of the view $4, the mean and the min/max band.
SELECT series_id, bucket, avg, min, max
FROM $4:name
WHERE series_id = ANY($1::int[]) AND bucket >= $2 AND bucket < $3
ORDER BY series_id, bucket

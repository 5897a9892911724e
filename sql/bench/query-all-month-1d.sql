-- bench:storage: all series, daily min and max over 30 days.
SELECT bucket, device, metric, min, max FROM readings_1d
WHERE bucket >= now() - interval '30 days' ORDER BY device, metric, bucket

-- bench:storage: one series, 30 days, from the hourly rollup.
SELECT bucket, avg, min, max FROM readings_1h
WHERE device = 'bedroom' AND metric = 'temperature' AND bucket >= now() - interval '30 days' ORDER BY bucket

-- bench:storage: one series, 7 days, from the 5-minute rollup (a chart).
SELECT bucket, avg, min, max FROM readings_5m
WHERE device = 'bedroom' AND metric = 'temperature' AND bucket >= now() - interval '7 days' ORDER BY bucket

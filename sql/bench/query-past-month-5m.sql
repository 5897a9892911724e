-- bench:storage: one series, the whole past month, from the 5-minute rollup.
SELECT bucket, avg FROM readings_5m
WHERE device = 'bedroom' AND metric = 'temperature'
  AND bucket >= date_trunc('month', now(), 'UTC') - interval '1 month' AND bucket < date_trunc('month', now(), 'UTC')

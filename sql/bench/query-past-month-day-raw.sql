-- bench:storage: one series, one day of the past month, raw.
SELECT ts, value FROM readings
WHERE device = 'bedroom' AND metric = 'temperature'
  AND ts >= date_trunc('month', now(), 'UTC') - interval '20 days'
  AND ts < date_trunc('month', now(), 'UTC') - interval '19 days'

-- bench:storage: gaps longer than 30 minutes in one device, the last 7 days, raw.
SELECT ts, next_ts FROM (
  SELECT ts, lead(ts) OVER (ORDER BY ts) AS next_ts FROM readings
  WHERE device = 'attic' AND metric = 'temperature' AND ts >= now() - interval '7 days'
) r WHERE next_ts - ts > interval '30 minutes'

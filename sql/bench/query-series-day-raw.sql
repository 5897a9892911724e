-- bench:storage: one series, the last 24 h, raw.
SELECT ts, value FROM readings
WHERE device = 'bedroom' AND sensor = 'dht22' AND metric = 'temperature' AND ts >= now() - interval '1 day'
ORDER BY ts

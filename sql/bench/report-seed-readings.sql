-- A reading of every series at each step from one time to before another: a daily wave, a yearly one, noise.
INSERT INTO readings_raw (series_id, ts, value)
SELECT s.id, ts, CASE s.metric WHEN 'temperature'
  THEN 20 + 3 * sin(extract(epoch FROM ts) / 86400 * 2 * pi()) + 6 * sin(extract(epoch FROM ts) / 31557600 * 2 * pi())
    + s.id * 0.1 + random() * 0.3
  ELSE 50 + 10 * cos(extract(epoch FROM ts) / 86400 * 2 * pi()) + random() END
FROM series s, generate_series(${from}::timestamptz, ${to}::timestamptz - interval '1 second', ${every}::interval) ts

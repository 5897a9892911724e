-- bench:storage: hours above 24 °C per device, the last 7 days, raw.
SELECT device, sum(held) FROM (
  SELECT device, value, least(lead(ts) OVER (PARTITION BY device ORDER BY ts) - ts, interval '15 minutes') AS held
  FROM readings WHERE metric = 'temperature' AND ts >= now() - interval '7 days'
) r WHERE value > 24 GROUP BY device

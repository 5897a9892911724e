-- Widens each series' first/last reading time; ${values:raw} is a multi-row VALUES list.
INSERT INTO series (device, sensor, metric, first_ts, last_ts)
VALUES ${values:raw}
ON CONFLICT (device, sensor, metric) DO UPDATE SET
  first_ts = LEAST(series.first_ts, EXCLUDED.first_ts),
  last_ts = GREATEST(series.last_ts, EXCLUDED.last_ts)

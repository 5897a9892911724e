-- Widens each series' first/last reading time and keeps the newest value; ${values:raw} is a multi-row
-- VALUES list. On a tie of last_ts the stored value stays, as readings_raw keeps the first delivery.
-- Returns each series' id with its names: a batch written by COPY looks its series ids up in them.
INSERT INTO series (device, sensor, metric, unit, first_ts, last_ts, last_value)
VALUES ${values:raw}
ON CONFLICT (device, sensor, metric) DO UPDATE SET
  first_ts = LEAST(series.first_ts, EXCLUDED.first_ts),
  last_value = CASE WHEN EXCLUDED.last_ts > series.last_ts THEN EXCLUDED.last_value ELSE series.last_value END,
  last_ts = GREATEST(series.last_ts, EXCLUDED.last_ts),
  unit = coalesce(series.unit, EXCLUDED.unit)
RETURNING id, device, sensor, metric

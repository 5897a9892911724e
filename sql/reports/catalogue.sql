-- Every series that existed before ${to} (the period's end), with its unit ('' when none) and first reading.
SELECT id, device, sensor, metric, coalesce(unit, '') AS unit, first_ts
FROM series
WHERE first_ts < ${to}
ORDER BY device, sensor, metric

-- The newest value of every series with its device's status, for `pimonitor latest`; ${devices} limits it
-- to those devices when not null.
SELECT l.device, l.sensor, l.metric, l.value, l.unit, l.ts, d.status
FROM latest_readings l LEFT JOIN devices d USING (device)
WHERE ${devices}::text[] IS NULL OR l.device = ANY(${devices})
ORDER BY l.device, l.sensor, l.metric

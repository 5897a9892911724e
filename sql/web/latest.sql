-- /api/latest: each series' newest reading, with its device's status.
SELECT l.device, l.sensor, l.metric, l.value, l.unit, l.ts, d.status, d.status_changed_at AS "statusChangedAt"
FROM latest_readings l LEFT JOIN devices d USING (device)
ORDER BY l.device, l.sensor, l.metric

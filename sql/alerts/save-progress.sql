-- How far the alerts worker has judged each series (alert_progress): only ever forward.
-- ${values:raw}: rows of (device, sensor, metric, newest) from pg-promise's ColumnSet.
INSERT INTO alert_progress (device, sensor, metric, newest)
VALUES ${values:raw}
ON CONFLICT (device, sensor, metric) DO UPDATE SET newest = greatest(alert_progress.newest, EXCLUDED.newest)

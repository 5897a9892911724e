-- `pimonitor export` and the CSV download, raw: one window [${from}, ${to}) of the readings view's rows,
-- reading only the archived days of the window (pimonitor_readings_between, sql/020_archive.sql). Each
-- filter, when not null, keeps the rows whose name is in it.
SELECT ts AS time, device, sensor, metric, unit, value
FROM pimonitor_readings_between(${from}, ${to})
WHERE ts >= ${from} AND ts < ${to}
  AND (${devices}::text[] IS NULL OR device = ANY(${devices}))
  AND (${sensors}::text[] IS NULL OR sensor = ANY(${sensors}))
  AND (${metrics}::text[] IS NULL OR metric = ANY(${metrics}))
ORDER BY ts, device, sensor, metric

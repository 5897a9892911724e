-- `pimonitor export` and the CSV download, a rollup tier: one window [${from}, ${to}) of view ${view}
-- (readings_5m, readings_1h or readings_1d). Each filter, when not null, keeps the rows whose name is in it.
SELECT bucket AS time, device, sensor, metric, unit, count, avg, min, max
FROM ${view:name}
WHERE bucket >= ${from} AND bucket < ${to}
  AND (${devices}::text[] IS NULL OR device = ANY(${devices}))
  AND (${sensors}::text[] IS NULL OR sensor = ANY(${sensors}))
  AND (${metrics}::text[] IS NULL OR metric = ANY(${metrics}))
ORDER BY bucket, device, sensor, metric

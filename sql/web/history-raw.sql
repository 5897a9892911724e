-- /api/history, raw: one sensor's readings (of ${metric}, or all when null) over [${from}, ${to}), as
-- points whose mean, min and max are the value.
SELECT metric, unit, ts AS t, value AS avg, value AS min, value AS max
FROM pimonitor_readings_between(${from}, ${to})
WHERE device = ${device} AND sensor = ${sensor} AND (${metric}::text IS NULL OR metric = ${metric})
ORDER BY metric, ts

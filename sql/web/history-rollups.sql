-- /api/history from a rollup tier: one sensor's buckets of view ${view} (readings_5m, readings_1h or
-- readings_1d) over [${from}, ${to}), of ${metric}, or all when null.
SELECT metric, unit, bucket AS t, avg, min, max FROM ${view:name}
WHERE device = ${device} AND sensor = ${sensor} AND (${metric}::text IS NULL OR metric = ${metric})
  AND bucket >= ${from} AND bucket < ${to}
ORDER BY metric, bucket

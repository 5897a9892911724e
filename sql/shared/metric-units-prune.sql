-- Removes the units of metrics no longer in the code's table (${metrics}: the metrics it has).
DELETE FROM metric_units WHERE metric <> ALL(${metrics}::text[])

-- One batch of readings: each ${…} is a whole column as an array literal. A reading delivered again is
-- skipped by the primary key.
INSERT INTO readings (ts, device, sensor, metric, value)
SELECT * FROM unnest(${ts}::timestamptz[], ${device}::text[], ${sensor}::text[], ${metric}::text[], ${value}::float8[])
ON CONFLICT DO NOTHING

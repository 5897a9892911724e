-- One batch into v1_readings: each parameter is a whole column as an array.
INSERT INTO v1_readings
SELECT * FROM unnest(${ts}::timestamptz[], ${device}::text[], ${sensor}::text[], ${metric}::text[], ${value}::float8[])
ON CONFLICT DO NOTHING

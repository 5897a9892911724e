-- Writes the code's table of units (${metrics} and ${units}: parallel arrays); a row already right is not touched.
INSERT INTO metric_units (metric, unit)
SELECT * FROM unnest(${metrics}::text[], ${units}::text[])
ON CONFLICT (metric) DO UPDATE SET unit = EXCLUDED.unit WHERE metric_units.unit IS DISTINCT FROM EXCLUDED.unit

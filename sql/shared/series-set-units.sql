-- Gives series stored without a unit the unit of their metric (${metrics} and ${units}: parallel arrays).
UPDATE series s SET unit = u.unit
FROM unnest(${metrics}::text[], ${units}::text[]) AS u(metric, unit)
WHERE s.metric = u.metric AND s.unit IS NULL

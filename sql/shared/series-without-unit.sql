-- The metrics of series stored without a unit.
SELECT DISTINCT metric FROM series WHERE unit IS NULL

-- Deletes one alert's state and returns it; no row when another worker took it first.
DELETE FROM alert_state
WHERE rule = ${rule} AND device = ${device} AND sensor = ${sensor} AND metric = ${metric}
RETURNING *

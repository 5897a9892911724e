-- Alerts of the report's devices that fired or resolved in [from, to), and those firing at its end.
SELECT at, kind, rule, device, sensor, metric, severity, value, message, started_at, inhibited
FROM alert_events
WHERE device = ANY($1::text[]) AND at >= $2 AND at < $3
ORDER BY at, id

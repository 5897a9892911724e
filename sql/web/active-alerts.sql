-- /api/alerts: the alerts pending or firing now, oldest first.
SELECT rule, device, sensor, metric, phase, started_at AS "startedAt", fired_at AS "firedAt", value
FROM alert_state ORDER BY started_at

-- pimonitor alerts list: what is pending, firing or recovering, oldest first.
SELECT rule, device, sensor, metric, phase, started_at, value FROM alert_state ORDER BY started_at

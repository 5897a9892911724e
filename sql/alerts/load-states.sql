-- Every alert pending, firing or recovering (alert_state), for the engine after a restart.
SELECT rule, device, sensor, metric, phase, started_at, fired_at, recovering_since, value, observed_at
FROM alert_state

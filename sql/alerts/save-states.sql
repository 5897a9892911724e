-- Alerts' states, one row per alert (each key at most once), inserted or replaced whole.
-- ${values:raw}: rows of alert_state's columns in this order, from pg-promise's ColumnSet (alerts/state-store.ts).
INSERT INTO alert_state (rule, device, sensor, metric, phase, started_at, fired_at, recovering_since, value,
  updated_at, observed_at)
VALUES ${values:raw}
ON CONFLICT (rule, device, sensor, metric) DO UPDATE SET
  phase = EXCLUDED.phase, started_at = EXCLUDED.started_at, fired_at = EXCLUDED.fired_at,
  recovering_since = EXCLUDED.recovering_since, value = EXCLUDED.value, updated_at = EXCLUDED.updated_at,
  observed_at = EXCLUDED.observed_at

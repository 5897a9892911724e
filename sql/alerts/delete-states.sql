-- Alerts that ended (inactive again): their states go.
-- ${values:raw}: rows of (rule, device, sensor, metric) from pg-promise's ColumnSet (alerts/state-store.ts).
DELETE FROM alert_state s
USING (VALUES ${values:raw}) AS gone (rule, device, sensor, metric)
WHERE s.rule = gone.rule AND s.device = gone.device AND s.sensor = gone.sensor AND s.metric = gone.metric

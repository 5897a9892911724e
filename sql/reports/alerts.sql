-- Alerts of the report's devices that fired or resolved in [from, to), and those firing at its end,
-- with their facts (null before schema version 13), for alerts/words.ts.
SELECT at, kind, rule, device, sensor, metric, severity, value, message, started_at, inhibited, reason, past_episode,
  condition, threshold_lo, threshold_hi, clear_lo, clear_hi, unit, template
FROM alert_events
WHERE device = ANY($1::text[]) AND at >= $2 AND at < $3
ORDER BY at, id

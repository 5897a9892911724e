-- The alert events ($1: the report's devices) that fired or resolved in [$2, $3), in time order, with their
-- facts (null before schema version 13), for alerts/words.ts. An alert that fired before $2 and still fires
-- is not among them.
SELECT at, kind, rule, device, sensor, metric, severity, value, message, started_at, inhibited, reason, past_episode,
  condition, threshold_lo, threshold_hi, clear_lo, clear_hi, unit, template
FROM alert_events
WHERE device = ANY($1::text[]) AND at >= $2 AND at < $3
ORDER BY at, id

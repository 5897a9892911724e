-- /api/alerts: the latest ${limit} alert events, newest first, with what words them (alerts/words.ts).
SELECT id, at, kind, rule, device, sensor, metric, severity, value, message, inhibited, started_at, reason,
  past_episode, condition, threshold_lo, threshold_hi, clear_lo, clear_hi, unit, template
FROM alert_events ORDER BY id DESC LIMIT ${limit}

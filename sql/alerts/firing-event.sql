-- The firing event of one alert that fired at ${firedAt} (the newest, should there be two).
SELECT id, severity, message, labels, inhibited, catching_up,
  condition, threshold_lo, threshold_hi, clear_lo, clear_hi, unit, template
FROM alert_events
WHERE rule = ${rule} AND device = ${device} AND sensor = ${sensor} AND metric = ${metric}
  AND kind = 'fired' AND at = ${firedAt}
ORDER BY id DESC LIMIT 1

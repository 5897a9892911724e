-- Each alert still firing (or recovering), per route its firing went to: when it was last sent there, once
-- nothing of it to that route waits any more; and its device's status (alerts/repeats.ts decides).
SELECT e.id AS event_id, n.route, e.severity, max(n.sent_at) AS last_sent, s.rule, s.device, s.sensor, s.metric,
  d.status AS device_status
FROM alert_state s
JOIN alert_events e ON e.rule = s.rule AND e.device = s.device AND e.sensor = s.sensor AND e.metric = s.metric
  AND e.kind = 'fired' AND e.at = s.fired_at
JOIN alert_notifications n ON n.event_id = e.id
LEFT JOIN devices d ON d.device = s.device
WHERE s.phase IN ('firing', 'recovering')
GROUP BY e.id, n.route, e.severity, s.rule, s.device, s.sensor, s.metric, d.status
HAVING bool_and(n.sent_at IS NOT NULL OR n.gave_up_at IS NOT NULL) AND max(n.sent_at) IS NOT NULL

-- pimonitor alerts list: the latest ${limit} events, with how many of their notifications went and wait.
SELECT e.*,
  (SELECT count(*)::int FROM alert_notifications n WHERE n.event_id = e.id AND n.sent_at IS NOT NULL) AS sent,
  (SELECT count(*)::int FROM alert_notifications n
    WHERE n.event_id = e.id AND n.sent_at IS NULL AND n.gave_up_at IS NULL) AS pending
FROM alert_events e ORDER BY e.id DESC LIMIT ${limit}

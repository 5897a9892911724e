-- Up to ${limit} notifications due at ${at}, leased until ${leasedUntil} (another worker skips them), with
-- their events, oldest event first.
WITH due AS (
  SELECT id FROM alert_notifications
  WHERE sent_at IS NULL AND gave_up_at IS NULL AND due_at <= ${at}
  ORDER BY due_at LIMIT ${limit} FOR UPDATE SKIP LOCKED
), leased AS (
  UPDATE alert_notifications n SET attempts = n.attempts + 1, due_at = ${leasedUntil} FROM due WHERE n.id = due.id
  RETURNING n.id, n.route, n.attempts, n.event_id
)
SELECT l.id, l.route, l.attempts, to_jsonb(e) AS event
FROM leased l JOIN alert_events e ON e.id = l.event_id
ORDER BY e.at

-- Of these claimed notifications, the resolutions whose alert fired again since, with that firing published
-- to the same route: given up as superseded (alerts/delivery.ts withdrawSupersededClears).
UPDATE alert_notifications n
SET gave_up_at = ${at}, last_error = 'superseded: a later firing of this alert was published since'
FROM alert_events e
WHERE n.id = ANY(${ids}::bigint[]) AND e.id = n.event_id AND e.kind = 'resolved' AND EXISTS (
  SELECT 1 FROM alert_events f JOIN alert_notifications m ON m.event_id = f.id
  WHERE f.kind = 'fired' AND f.rule = e.rule AND f.device = e.device AND f.sensor = e.sensor AND f.metric = e.metric
    AND f.at > e.fired_at AND m.route = n.route AND m.sent_at IS NOT NULL)
RETURNING n.id

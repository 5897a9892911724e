-- What became of each notification of a firing event (alerts/owed.ts reads them per route).
SELECT route, due_at, sent_at, attempts, last_error, gave_up_at FROM alert_notifications WHERE event_id = ${eventId}

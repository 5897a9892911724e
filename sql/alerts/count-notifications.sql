SELECT count(*)::int AS count FROM alert_notifications WHERE event_id = ${eventId}

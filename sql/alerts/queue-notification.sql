-- One notification of an event to a route, due at ${due}.
INSERT INTO alert_notifications (event_id, route, due_at) VALUES (${eventId}, ${route}, ${due})

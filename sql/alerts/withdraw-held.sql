-- A route's notifications of a firing not sent yet, given up: its alert resolved before they went.
UPDATE alert_notifications SET gave_up_at = ${at}, last_error = 'resolved before it was sent'
WHERE event_id = ${eventId} AND route = ${route} AND sent_at IS NULL AND gave_up_at IS NULL

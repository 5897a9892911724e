-- Every notification of a firing not sent yet, given up with ${error}.
UPDATE alert_notifications SET gave_up_at = ${at}, last_error = ${error}
WHERE event_id = ${eventId} AND sent_at IS NULL AND gave_up_at IS NULL

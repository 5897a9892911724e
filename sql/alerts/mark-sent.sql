UPDATE alert_notifications SET sent_at = ${at}, last_error = NULL WHERE id = ANY(${ids}::bigint[])

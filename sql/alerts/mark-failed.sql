-- Failed notifications: due again at ${retryAt}, or given up once they were tried ${maxAttempts} times.
UPDATE alert_notifications SET last_error = ${error},
  due_at = CASE WHEN attempts >= ${maxAttempts} THEN due_at ELSE ${retryAt} END,
  gave_up_at = CASE WHEN attempts >= ${maxAttempts} THEN now() END
WHERE id = ANY(${ids}::bigint[])

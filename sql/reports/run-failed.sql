-- A failed attempt: its error kept, retried at ${retryAt}, or given up at ${now} when ${retryAt} is null.
UPDATE report_runs
SET last_error = ${error}, next_attempt_at = coalesce(${retryAt}, next_attempt_at),
  gave_up_at = CASE WHEN ${retryAt}::timestamptz IS NULL THEN ${now}::timestamptz END
WHERE report = ${report} AND scheduled_for = ${scheduledFor}

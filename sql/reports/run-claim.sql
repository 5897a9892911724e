-- Takes the lease of every undelivered run of ${report} due at ${now}: next_attempt_at moves ${leaseMs}
-- ahead before the work, so a second scheduler on the database does not take it too.
UPDATE report_runs
SET attempts = attempts + 1, next_attempt_at = ${now}::timestamptz + ${leaseMs} * interval '1 millisecond'
WHERE report = ${report} AND delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= ${now}
RETURNING report, scheduled_for, attempts

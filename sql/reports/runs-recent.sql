-- The newest ${limit} runs of every report, newest first.
SELECT report, scheduled_for, period_from, period_to, attempts, delivered_at, gave_up_at, last_error
FROM report_runs
ORDER BY scheduled_for DESC
LIMIT ${limit}

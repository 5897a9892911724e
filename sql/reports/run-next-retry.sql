-- The earliest retry waiting among ${reports} (null when none), for the scheduler's next wake-up.
SELECT min(next_attempt_at) AS at
FROM report_runs
WHERE report = ANY(${reports}) AND delivered_at IS NULL AND gave_up_at IS NULL

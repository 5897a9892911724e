-- Records a run as due at ${now}; a run recorded already (by another scheduler) is left as it is.
INSERT INTO report_runs (report, scheduled_for, period_from, period_to, next_attempt_at)
VALUES (${report}, ${scheduledFor}, ${from}, ${to}, ${now})
ON CONFLICT (report, scheduled_for) DO NOTHING

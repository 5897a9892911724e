-- The newest run recorded for ${report} (null when none), so a restart neither repeats nor skips one.
SELECT max(scheduled_for) AS last FROM report_runs WHERE report = ${report}

-- Marks a run delivered at ${now}.
UPDATE report_runs SET delivered_at = ${now}, last_error = NULL
WHERE report = ${report} AND scheduled_for = ${scheduledFor}

-- How far each series has been judged (alert_progress).
SELECT device, sensor, metric, newest FROM alert_progress

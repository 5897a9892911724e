-- Before a batch's readings: refuses readings older than the raw data kept, and creates the monthly
-- partitions the batch needs (${months} is an array literal of the months' starts).
SELECT pimonitor_prepare_raw(${months}::timestamptz[])

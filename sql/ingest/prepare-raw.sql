-- Before a batch's readings: refuses readings older than the raw data kept, and creates the monthly
-- partitions the batch needs (${months} is an array literal of the months' starts); takes those months'
-- archive locks shared, so no month is archived while this batch writes to it (sql/020_archive.sql).
SELECT pimonitor_prepare_raw(${months}::timestamptz[])

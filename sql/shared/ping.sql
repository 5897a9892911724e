-- Whether the database answers, for a health check.
SELECT 1

-- The health check's question to the database: does it answer.
SELECT 1

-- Waits for the transaction-scoped advisory lock ${key}, held until the transaction ends.
SELECT pg_advisory_xact_lock(${key})

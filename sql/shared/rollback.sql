-- Rolls back the transaction begin.sql opened.
ROLLBACK

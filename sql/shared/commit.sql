-- Commits the transaction begin.sql opened.
COMMIT

-- The rows of table or partition ${table}, counted.
SELECT count(*)::int AS rows FROM ${table:name}

-- readings_archive's rows, the values they hold, and the most in one row.
SELECT count(*)::int AS rows, sum(n)::int AS values, max(n) AS "maxN" FROM readings_archive

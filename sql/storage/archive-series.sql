-- The series with readings in raw partition ${partition:name} that archiving would move (on whole
-- milliseconds, sql/020_archive.sql): one index probe per series, not a scan of the month.
SELECT s.id FROM series s
WHERE EXISTS (SELECT 1 FROM ${partition:name} r WHERE r.series_id = s.id AND r.ts = date_trunc('milliseconds', r.ts))
ORDER BY s.id

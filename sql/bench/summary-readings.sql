-- pimonitor's rows: one bench_commits row per committed message (readings_raw's key stores none twice).
SELECT (extract(epoch FROM max(committed_at)) * 1000)::float8 AS last, count(*)::int AS stored, count(*)::int AS rows
FROM bench_commits

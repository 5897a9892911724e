-- Publish-to-commit latencies grouped by the millisecond (a soak's millions are a few thousand rows).
SELECT greatest(1, round(extract(epoch FROM committed_at) * 1000 - sent))::float8 AS ms, count(*)::float8 AS n
FROM bench_commits GROUP BY 1

-- Latencies by the millisecond in each window (seconds long) from the first publish.
SELECT floor((sent - (SELECT min(sent) FROM bench_commits)) / (${seconds} * 1000.0))::int AS w,
  greatest(1, round(extract(epoch FROM committed_at) * 1000 - sent))::float8 AS ms, count(*)::float8 AS n
FROM bench_commits GROUP BY 1, 2

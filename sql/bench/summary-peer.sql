-- A peer's table with no unique key: messages stored, distinct and all, by their `seq` metric.
SELECT (SELECT extract(epoch FROM max(committed_at)) * 1000 FROM bench_commits)::float8 AS last,
  (SELECT count(DISTINCT (device, ts)) FROM ${table:name} WHERE metric = 'seq')::int AS stored,
  (SELECT count(*) FROM ${table:name} WHERE metric = 'seq')::int AS rows

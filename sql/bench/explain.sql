-- A query's plan as run: planning and execution time, shared buffers hit and read.
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${query:raw}

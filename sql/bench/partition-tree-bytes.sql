-- Bytes on disk of a table and all its partitions (heap, TOAST, indexes).
SELECT sum(pg_total_relation_size(relid)) AS bytes
FROM (SELECT relid FROM pg_partition_tree(${table}::regclass) UNION SELECT ${table}::regclass) r

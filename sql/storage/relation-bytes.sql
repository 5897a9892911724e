-- A table's or partition's size on disk, with its indexes and TOAST.
SELECT pg_total_relation_size(${table}::regclass) AS bytes

-- Bytes on disk of one table: heap, TOAST and indexes.
SELECT pg_total_relation_size(${table}::regclass) AS bytes

-- Every partition of the monthly tables ${tables} (storage/partitions.ts), with its size on disk including
-- indexes.
SELECT c.relname AS name, pg_total_relation_size(c.oid) AS bytes
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
WHERE p.relname = ANY(${tables}) AND p.relnamespace = 'public'::regnamespace

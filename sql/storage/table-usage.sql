-- Disk use of each table of ${tables}, in that order: bytes with indexes and TOAST summed over partitions,
-- PostgreSQL's row estimate, and the number of partitions.
WITH rels AS (
  -- A partitioned table's partitions, or a plain table itself (pg_partition_tree gives it no rows).
  SELECT t.name, r.relid FROM unnest(${tables}::text[]) AS t(name),
    LATERAL (SELECT relid FROM pg_partition_tree(t.name::regclass) UNION SELECT t.name::regclass) r
)
SELECT name AS table, sum(pg_total_relation_size(relid)) AS bytes,
  coalesce(sum(greatest(c.reltuples, 0)) FILTER (WHERE c.relkind = 'r'), 0) AS rows,
  count(*) FILTER (WHERE c.relkind = 'r' AND c.relispartition) AS partitions
FROM rels JOIN pg_class c ON c.oid = rels.relid
GROUP BY name ORDER BY array_position(${tables}::text[], name::text)

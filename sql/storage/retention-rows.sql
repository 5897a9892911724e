-- The rows of ${table} with ${column} before ${before}, and their bytes: the table's size shared out per
-- row (an estimate, as freed rows are reused, not returned).
SELECT count(*)::int AS rows,
  round(count(*) * pg_total_relation_size(${table}) / greatest((SELECT count(*) FROM ${table:name}), 1)) AS bytes
FROM ${table:name} WHERE ${column:name} < ${before}

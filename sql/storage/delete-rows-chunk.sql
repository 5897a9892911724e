-- Deletes at most ${limit} rows of ${table} with ${column} before ${before} (retention, a chunk at a time).
DELETE FROM ${table:name}
WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${table:name} WHERE ${column:name} < ${before} LIMIT ${limit}))

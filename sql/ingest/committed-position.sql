-- How far ${worker}'s spool is committed, and in which spool (save-progress.sql writes it).
SELECT spool_id, position FROM ingest_progress WHERE worker = ${worker}

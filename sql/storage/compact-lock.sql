-- Takes partition ${partition}'s compaction lock for this transaction, or says another process has it
-- (two ingest workers may both run maintenance: the first takes the partition, the second skips it).
SELECT pg_try_advisory_xact_lock(hashtext('compact ' || ${partition})) AS locked

-- The database's schema version: the newest migration applied, 0 when none.
SELECT coalesce(max(version), 0)::int AS version FROM schema_migrations

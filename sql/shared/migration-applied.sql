-- A row when migration ${version} has been applied, none when not.
SELECT 1 FROM schema_migrations WHERE version = ${version}

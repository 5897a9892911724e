-- Records migration ${version} (file ${name}) as applied, in the transaction that applied it.
INSERT INTO schema_migrations (version, name) VALUES (${version}, ${name})

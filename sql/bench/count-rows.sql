SELECT count(*)::int AS n FROM ${table:name}

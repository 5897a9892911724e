-- Rewrites partition ${partition} in key order, by its primary key ${primaryKey} (<partition>_pkey).
CLUSTER ${partition:name} USING ${primaryKey:name}

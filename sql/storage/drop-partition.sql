-- Drops a monthly partition whole (retention).
DROP TABLE IF EXISTS ${partition:name}

-- A batch's readings in PostgreSQL's binary COPY format (ingest/copy-binary.ts encodes them), straight
-- into readings_raw; add-rollups.sql merges them into the rollups after.
COPY readings_raw (series_id, ts, value) FROM STDIN (FORMAT binary)

-- Schema version 9: when each series was created, so ingest's quota of new series per device per hour
-- (issue 23, INGEST_MAX_NEW_SERIES_PER_DEVICE_PER_HOUR) still counts the last hour after a restart.
-- Added without a default first, so the series that exist stay NULL (not "created now"), then given
-- one: ingest's upsert does not name the column, so a series gets the time of the transaction that
-- created it.
ALTER TABLE series ADD COLUMN created_at timestamptz;
ALTER TABLE series ALTER COLUMN created_at SET DEFAULT now();
COMMENT ON COLUMN series.created_at IS 'When the series was created (the transaction that stored its first reading); NULL for series created before schema version 9. Ingest counts each device''s series of the last hour against its quota.';
COMMENT ON COLUMN rejected_messages.code IS 'Kind of problem: topic, status, json, shape, size, metric, range, timestamp, clock, database, unexpected, or quota (the device had created its allowance of new series for the hour); NULL before schema version 2.';

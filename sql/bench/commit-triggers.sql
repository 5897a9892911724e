-- bench_commits: each reading's `sent` metric with clock_timestamp() as its batch is inserted (a commit
-- follows in the same transaction), from pimonitor's readings_raw and from the Node-RED peer's table
-- (nodered-table.sql, created first).
CREATE UNLOGGED TABLE bench_commits (sent double precision NOT NULL, committed_at timestamptz NOT NULL);
CREATE FUNCTION bench_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bench_commits
    SELECT i.value, clock_timestamp() FROM inserted i JOIN series s ON s.id = i.series_id WHERE s.metric = 'sent';
  RETURN NULL;
END $$;
CREATE TRIGGER bench_latency AFTER INSERT ON readings_raw REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION bench_record();
CREATE FUNCTION bench_record_nodered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bench_commits SELECT i.value, clock_timestamp() FROM inserted i WHERE i.metric = 'sent';
  RETURN NULL;
END $$;
CREATE TRIGGER bench_latency AFTER INSERT ON nodered_readings REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION bench_record_nodered();

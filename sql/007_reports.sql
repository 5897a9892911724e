-- Schema version 7: scheduled reports. Every status change of a device is kept (the devices table holds
-- only the newest), so a report can say when a device was offline; every report run is recorded, so a
-- restart neither sends one twice nor skips one.

CREATE TABLE device_status_log (
  device text        NOT NULL,
  at     timestamptz NOT NULL,
  status text        NOT NULL CHECK (status IN ('online', 'offline')),
  PRIMARY KEY (device, at)
);
COMMENT ON TABLE device_status_log IS 'Every change of devices.status (from home/<device>/status), written by a trigger on devices.';

-- A trigger, not ingest code: any writer of devices.status (ingest, an import) keeps the log.
CREATE FUNCTION pimonitor_log_device_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS NOT NULL AND NEW.status_changed_at IS NOT NULL
     AND (TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status) THEN
    INSERT INTO device_status_log (device, at, status) VALUES (NEW.device, NEW.status_changed_at, NEW.status)
    ON CONFLICT (device, at) DO UPDATE SET status = EXCLUDED.status;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER devices_status_log AFTER INSERT OR UPDATE OF status ON devices
  FOR EACH ROW EXECUTE FUNCTION pimonitor_log_device_status();
-- What is known now is the first entry.
INSERT INTO device_status_log (device, at, status)
SELECT device, status_changed_at, status FROM devices WHERE status IS NOT NULL AND status_changed_at IS NOT NULL;

CREATE TABLE report_runs (
  report          text        NOT NULL,
  scheduled_for   timestamptz NOT NULL,
  period_from     timestamptz NOT NULL,
  period_to       timestamptz NOT NULL,
  attempts        integer     NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  delivered_at    timestamptz,
  gave_up_at      timestamptz,
  last_error      text,
  PRIMARY KEY (report, scheduled_for)
);
COMMENT ON TABLE report_runs IS 'One row per scheduled run of each report (reports.list): delivered, waiting for a retry at next_attempt_at, or given up with last_error.';

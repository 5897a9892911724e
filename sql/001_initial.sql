-- pimonitor schema, version 1. Applied by `pimonitor migrate` (and by ingest on start) in one transaction.

CREATE TABLE readings (
  ts     timestamptz      NOT NULL,
  device text             NOT NULL,
  sensor text             NOT NULL,
  metric text             NOT NULL,
  value  double precision NOT NULL,
  -- The key makes a redelivered reading a no-op (INSERT ... ON CONFLICT DO NOTHING) and serves
  -- the common query: one series over a time range.
  PRIMARY KEY (device, sensor, metric, ts)
);
-- Time-range scans across all devices ("everything from last night"). BRIN stays tiny on years of
-- append-mostly data where a B-tree on ts would double the table's index size.
CREATE INDEX readings_ts_brin ON readings USING brin (ts);

COMMENT ON TABLE readings IS 'One row per metric of each sensor reading, as published to home/<device>/<sensor>.';
COMMENT ON COLUMN readings.ts IS 'When the reading was taken: the payload ts, or the time ingest received it.';
COMMENT ON COLUMN readings.metric IS 'The payload field: temperature (°C), humidity (%RH), or any other numeric field.';

CREATE TABLE series (
  device     text        NOT NULL,
  sensor     text        NOT NULL,
  metric     text        NOT NULL,
  first_ts   timestamptz NOT NULL,
  last_ts    timestamptz NOT NULL,
  PRIMARY KEY (device, sensor, metric)
);
COMMENT ON TABLE series IS 'Every (device, sensor, metric) ever seen, with its first and newest reading time; kept by ingest.';

CREATE TABLE devices (
  device            text        PRIMARY KEY,
  first_seen        timestamptz NOT NULL,
  last_seen         timestamptz NOT NULL,
  status            text        CHECK (status IN ('online', 'offline')),
  status_changed_at timestamptz
);
COMMENT ON TABLE devices IS 'Every device that has published; status comes from home/<device>/status (NULL: never announced).';
COMMENT ON COLUMN devices.last_seen IS 'When ingest last received any message from the device.';

CREATE TABLE rejected_messages (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at   timestamptz NOT NULL DEFAULT now(),
  topic         text        NOT NULL,
  payload       bytea       NOT NULL,
  payload_bytes integer     NOT NULL,
  reason        text        NOT NULL
);
CREATE INDEX rejected_messages_received_at ON rejected_messages (received_at);
COMMENT ON TABLE rejected_messages IS 'Messages that are not valid readings, with the reason; payload is cut to its first 4 KiB.';
COMMENT ON COLUMN rejected_messages.payload_bytes IS 'Size of the payload as received, before cutting.';

-- The newest value of every series. A LATERAL lookup per series walks the primary key backwards,
-- so this stays fast however many years readings holds (DISTINCT ON would scan all of it).
CREATE VIEW latest_readings AS
SELECT s.device, s.sensor, s.metric, r.ts, r.value
FROM series s
CROSS JOIN LATERAL (
  SELECT ts, value FROM readings r
  WHERE r.device = s.device AND r.sensor = s.sensor AND r.metric = s.metric
  ORDER BY ts DESC
  LIMIT 1
) r;
COMMENT ON VIEW latest_readings IS 'Newest value per device, sensor and metric.';

-- Schema version 1's readings table, the baseline of bench:storage's bytes per value.
CREATE TABLE v1_readings (
  ts timestamptz NOT NULL, device text NOT NULL, sensor text NOT NULL, metric text NOT NULL,
  value double precision NOT NULL, PRIMARY KEY (device, sensor, metric, ts)
);
CREATE INDEX v1_readings_ts_brin ON v1_readings USING brin (ts)

-- The Node-RED peer's table (bench/node-red-peer.ts): the long format a hobbyist makes, no catalogue of
-- series, an index to query by, no unique key (a redelivered message is stored twice).
CREATE TABLE nodered_readings (
  ts timestamptz NOT NULL, device text NOT NULL, sensor text NOT NULL, metric text NOT NULL, value double precision
);
CREATE INDEX ON nodered_readings (device, sensor, metric, ts);

-- Schema version 14: how far the alerts worker has judged each series, in reading time (issue 24).
-- A reading older than a series' newest one judged changes no alert; after a restart the worker reads
-- this back, so one delivered late, or again, is still late. Written with the alerts' own changes and
-- at every tick, so a crash (kill -9) forgets at most the last tick's worth (ALERTS_TICK_INTERVAL_MS).
CREATE TABLE alert_progress (
  device text        NOT NULL,
  sensor text        NOT NULL,
  metric text        NOT NULL,
  newest timestamptz NOT NULL,
  PRIMARY KEY (device, sensor, metric)
);
COMMENT ON TABLE alert_progress IS 'Per series, the reading time of the newest reading pimonitor alerts has judged; older ones change no alert.';

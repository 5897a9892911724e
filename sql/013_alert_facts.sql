-- Schema version 13: alert events as facts, words at the edge (issue 24, item 5).
-- An event records what was judged against what (condition, thresholds, unit), so each reader (a
-- route in °F, a report in its time zone, the dashboard) says it in its own units and time zone.
-- message stays: the event in words in the stored units (°C, UTC), for SQL and older readers; rows
-- written before this version have only message (their facts are null) and are shown by it.

ALTER TABLE alert_events ADD COLUMN condition text
  CHECK (condition IN ('above', 'below', 'outside', 'silent', 'offline', 'failing'));
COMMENT ON COLUMN alert_events.condition IS 'What held: above, below or outside the threshold; silent (stale); offline; failing (sensor health). Null for rows older than version 13.';

ALTER TABLE alert_events ADD COLUMN threshold_lo double precision;
ALTER TABLE alert_events ADD COLUMN threshold_hi double precision;
COMMENT ON COLUMN alert_events.threshold_lo IS 'Where the alert starts, low side (below, outside), in unit. Null when there is none.';
COMMENT ON COLUMN alert_events.threshold_hi IS 'Where the alert starts, high side (above, outside), in unit; a stale rule''s after in seconds; a sensor-health rule''s maxFailureRate (0..1).';

ALTER TABLE alert_events ADD COLUMN clear_lo double precision;
ALTER TABLE alert_events ADD COLUMN clear_hi double precision;
COMMENT ON COLUMN alert_events.clear_lo IS 'Where the alert ends (hysteresis), low side, in unit; equal to threshold_lo without clear.';
COMMENT ON COLUMN alert_events.clear_hi IS 'Where the alert ends (hysteresis), high side, in unit; equal to threshold_hi without clear.';

ALTER TABLE alert_events ADD COLUMN unit text;
COMMENT ON COLUMN alert_events.unit IS 'The unit of value and the thresholds as stored (shared/contract.ts METRIC_UNITS: °C, %, hPa…); s for a stale rule; null when unknown.';

ALTER TABLE alert_events ADD COLUMN template text;
COMMENT ON COLUMN alert_events.template IS 'The rule''s own message template ({{placeholders}}), rendered for each reader; null for the built-in wording.';

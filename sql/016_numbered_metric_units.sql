-- Schema version 16: a numbered metric has the unit of its quantity in the database too.
--
-- shared/units.ts unitOf gives Tasmota's per-channel metrics (voltage_1, power_2, energy_today_3) the
-- unit of their quantity, and ingest stores them so; pimonitor_unit_of (version 15) looked up only the
-- exact name, so the same series imported through INSERT INTO readings had none. Same rule here: the
-- exact name, else the name without its trailing _<digits>.
CREATE OR REPLACE FUNCTION pimonitor_unit_of(metric text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce(
  (SELECT u.unit FROM metric_units u WHERE u.metric = pimonitor_unit_of.metric),
  (SELECT u.unit FROM metric_units u WHERE u.metric = substring(pimonitor_unit_of.metric FROM '^(.+)_[0-9]+$')));

-- Schema version 15: the units of metrics in a table, filled from the one table in the code.
--
-- pimonitor_unit_of (version 4) had its own list of units, kept in step with the code by a test. Now it
-- reads metric_units, which every pimonitor process writes from shared/units.ts METRIC_UNITS when it
-- migrates (shared/unit-sync.ts), and which gives existing series without a unit theirs: a quantity
-- learnt in a new version (dew point, apparent power…) is labelled in the data stored before it too.
CREATE TABLE metric_units (
  metric text PRIMARY KEY,
  unit   text NOT NULL
);
COMMENT ON TABLE metric_units IS 'The unit of each metric pimonitor knows (°C, hPa, VA…), written from shared/units.ts at every start; do not edit: the next start writes it again.';

CREATE OR REPLACE FUNCTION pimonitor_unit_of(metric text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT u.unit FROM metric_units u WHERE u.metric = pimonitor_unit_of.metric);

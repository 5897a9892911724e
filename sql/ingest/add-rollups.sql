-- After a batch's readings went in by COPY (all of them: COPY fails on a reading already stored): merges
-- them into the rollups, as insert-readings.sql does for the rows it inserts. ${ids}, ${ts} and ${value}
-- are array literals, one element per reading.
SELECT pimonitor_rollup_add(${ids}::int[], ${ts}::timestamptz[], ${value}::float8[])

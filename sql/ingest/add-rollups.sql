-- After a batch's readings went in by COPY (all of them: COPY fails on a reading already stored): merges
-- them into the rollups, as insert-readings.sql does for the rows it inserts; fails with 23505, as the
-- COPY would have, when the archive holds one of them (sql/020_archive.sql). ${ids}, ${ts} and ${value}
-- are array literals, one element per reading.
SELECT pimonitor_rollup_add_copied(${ids}::int[], ${ts}::timestamptz[], ${value}::float8[])

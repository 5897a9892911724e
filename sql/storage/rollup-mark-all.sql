-- Marks every bucket with raw readings for rollup (a rebuild); how many.
SELECT pimonitor_rollup_mark_all() AS n

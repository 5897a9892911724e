-- The zone whose midnights bound the daily rollups; true when it changed (the rollups are recomputed).
SELECT pimonitor_set_rollup_time_zone(${rollupTimeZone}) AS changed

-- The values bench:footprint's nodes (devices footprint-0, footprint-1, …) got stored.
SELECT count(*)::int AS n FROM readings WHERE device LIKE 'footprint-%'

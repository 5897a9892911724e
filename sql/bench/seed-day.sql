-- Every series' readings each step (an interval) from one time to before another, in time order with all
-- series interleaved (as ingest writes them).
INSERT INTO readings_raw (series_id, ts, value)
SELECT s.id, t, round((20 + 5 * sin(extract(epoch FROM t) / 5000 + s.id))::numeric, 1)
FROM generate_series(${from}::timestamptz, ${to}::timestamptz - interval '1 ms', interval ${step}) t CROSS JOIN series s
-- The attic's node was off for 45 minutes every day at noon.
WHERE NOT (s.device = 'attic' AND t::time BETWEEN '12:00' AND '12:45')
ORDER BY t, s.id

-- bench:storage: all series, the last hour, raw.
SELECT ts, device, metric, value FROM readings WHERE ts >= now() - interval '1 hour' ORDER BY ts

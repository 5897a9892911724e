-- The last hour of archive-view-day.sql's series, none of it archived.
SELECT ts, value FROM readings
WHERE device = 'bedroom' AND sensor = 'dht22' AND metric = 'temperature' AND ts >= now() - interval '1 hour'

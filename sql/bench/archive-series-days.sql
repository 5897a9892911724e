-- The archived days of archive-view-day.sql's series.
SELECT count(*)::int AS days FROM readings_archive a JOIN series s ON s.id = a.series_id
WHERE device = 'bedroom' AND sensor = 'dht22' AND metric = 'temperature'

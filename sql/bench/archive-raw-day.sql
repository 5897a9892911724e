-- archive-view-day.sql's day from readings_raw alone (series 3: bedroom's dht22 temperature).
SELECT ts, value FROM readings_raw WHERE series_id = 3 AND ts >= ${day} AND ts < timestamptz ${day} + interval '1 day'

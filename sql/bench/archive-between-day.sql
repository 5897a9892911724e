-- archive-view-day.sql's series and day, as export asks it (pimonitor_readings_between).
SELECT ts, value FROM pimonitor_readings_between(${day}, timestamptz ${day} + interval '1 day')
WHERE device = 'bedroom' AND sensor = 'dht22' AND metric = 'temperature'

-- One series, one whole UTC day, as a user asks the readings view.
SELECT ts, value FROM readings
WHERE device = 'bedroom' AND sensor = 'dht22' AND metric = 'temperature'
  AND ts >= ${day} AND ts < timestamptz ${day} + interval '1 day'

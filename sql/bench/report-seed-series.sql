-- bench:report's series: a DHT22's temperature and humidity on each device, first and last seen as given.
INSERT INTO series (device, sensor, metric, first_ts, last_ts, unit)
SELECT d, 'dht22', m, ${from}, ${to}, CASE m WHEN 'temperature' THEN '°C' ELSE '%' END
FROM unnest(${devices}::text[]) d, unnest(ARRAY['temperature', 'humidity']) m

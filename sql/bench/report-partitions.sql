-- readings_raw's monthly partitions, from the month of the first reading to the last.
SELECT pimonitor_create_partitions('readings_raw', ARRAY(
  SELECT generate_series(date_trunc('month', ${from}::timestamptz, 'UTC'), ${to}::timestamptz, interval '1 month')
))

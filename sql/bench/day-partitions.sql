-- readings_raw's partitions, one per day from the first to the last.
SELECT pimonitor_create_partitions('readings_raw',
  ARRAY(SELECT generate_series(${first}::timestamptz, ${last}::timestamptz, interval '1 day')))

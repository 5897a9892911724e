-- bench:storage: the latest value of every series.
SELECT * FROM latest_readings

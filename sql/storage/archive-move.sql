-- Moves one series' readings of one month into the archive, in a transaction of its own (NULL: ingest
-- is writing readings of that month now; try later).
SELECT pimonitor_archive_series_month(${seriesId}, ${month}) AS moved

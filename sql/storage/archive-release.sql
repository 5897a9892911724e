-- Empties a month's raw partition once every reading in it is archived (false: not empty, or busy).
SELECT pimonitor_archive_release(${partition}::regclass, ${month}) AS released

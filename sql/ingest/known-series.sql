-- Every series and how long ago it was created, by the database's clock (NULL: before schema version 9).
-- Ingest's quota of new series per device per hour starts from these, so a restart neither forgets the
-- last hour nor counts old series as new. An age, not a time: the worker's clock need not agree with
-- the database's.
SELECT device, sensor, metric, (extract(epoch FROM now() - created_at) * 1000)::float8 AS age_ms FROM series

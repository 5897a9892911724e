-- Where each ingest worker's local spool is committed up to. Written in the same transaction as the
-- rows of each batch, so after a crash a worker replays exactly what the database does not have.

CREATE TABLE ingest_progress (
  worker     text        PRIMARY KEY,
  spool_id   uuid        NOT NULL,
  position   bigint      NOT NULL CHECK (position >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ingest_progress IS 'Per ingest worker (its MQTT client id): the spool, and the byte position in it, that the database holds everything before.';

-- A fixed code per kind of problem (topic, status, json, shape, size, metric, range, timestamp, clock,
-- database), so operators can count rejections by kind; `reason` keeps the human text.
ALTER TABLE rejected_messages ADD COLUMN code text;
COMMENT ON COLUMN rejected_messages.code IS 'Kind of problem: topic, status, json, shape, size, metric, range, timestamp, clock or database (NULL before schema version 2).';

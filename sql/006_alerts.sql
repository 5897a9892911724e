-- Schema version 6: alerts. The state of every alert that is not inactive survives restarts here; every
-- firing and resolution is an event; every notification to send is a row of an outbox, written in the
-- same transaction as its event and marked when sent, so a crash cannot lose a resolve message.

CREATE TABLE alert_state (
  rule             text             NOT NULL,
  device           text             NOT NULL,
  sensor           text             NOT NULL DEFAULT '',
  metric           text             NOT NULL DEFAULT '',
  phase            text             NOT NULL CHECK (phase IN ('pending', 'firing', 'recovering')),
  started_at       timestamptz      NOT NULL,
  fired_at         timestamptz,
  recovering_since timestamptz,
  value            double precision NOT NULL,
  updated_at       timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (rule, device, sensor, metric)
);
COMMENT ON TABLE alert_state IS 'Alerts that are pending, firing or recovering, per rule and series (sensor and metric empty for device and sensor alerts); kept by pimonitor alerts.';

CREATE TABLE alert_events (
  id         bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at         timestamptz      NOT NULL,
  kind       text             NOT NULL CHECK (kind IN ('fired', 'resolved')),
  rule       text             NOT NULL,
  device     text             NOT NULL,
  sensor     text             NOT NULL DEFAULT '',
  metric     text             NOT NULL DEFAULT '',
  severity   text             NOT NULL,
  value      double precision,
  message    text             NOT NULL,
  labels     jsonb            NOT NULL DEFAULT '{}',
  started_at timestamptz      NOT NULL,
  fired_at   timestamptz,
  inhibited  boolean          NOT NULL DEFAULT false
);
CREATE INDEX alert_events_at ON alert_events (at);
CREATE INDEX alert_events_device ON alert_events (device, at);
COMMENT ON TABLE alert_events IS 'Every alert that fired or resolved, with its value and message; inhibited: its device was offline, so it was not notified.';

CREATE TABLE alert_notifications (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id    bigint      NOT NULL REFERENCES alert_events (id) ON DELETE CASCADE,
  route       text        NOT NULL,
  due_at      timestamptz NOT NULL,
  attempts    integer     NOT NULL DEFAULT 0,
  sent_at     timestamptz,
  gave_up_at  timestamptz,
  last_error  text
);
CREATE INDEX alert_notifications_due ON alert_notifications (due_at) WHERE sent_at IS NULL AND gave_up_at IS NULL;
COMMENT ON TABLE alert_notifications IS 'The outbox: one row per event and route, sent when due (after group wait and quiet hours), retried with backoff, marked sent.';

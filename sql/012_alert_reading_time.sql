-- Schema version 12: alerts judge readings in the time they were taken (issue 24, item 1).
-- A node that replays its outbox, or a worker that catches up on what queued for it, sends readings
-- that are minutes or hours old. They are evaluated in their own time; what they fire is held until
-- the series has caught up, then notified once: as firing (dated when it began) if it still fires, or
-- as a past episode (from when to when) if it ended within the backlog.

ALTER TABLE alert_state ADD COLUMN observed_at timestamptz;
COMMENT ON COLUMN alert_state.observed_at IS 'Reading time of the newest reading that changed this alert; an older one delivered again after a restart changes nothing. Null for offline and health alerts, and rows older than version 12.';

ALTER TABLE alert_events ADD COLUMN catching_up boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN alert_events.catching_up IS 'A firing made by a reading from a backlog (an outbox replay, a restart): not notified until its series caught up.';

ALTER TABLE alert_events ADD COLUMN past_episode boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN alert_events.past_episode IS 'A resolution of an alert that fired and ended within a backlog: notified once, as an episode from started_at to at, never as firing.';

-- Schema version 10: who owns what in the broker (broker/claims.ts), kept where the in-memory broker can
-- find it again after a restart. A client id belongs to the account that used it first, and a device that
-- a source account's messages map to (a Zigbee2MQTT friendly name) to the account whose messages made it:
-- no other account may use them. With Redis persistence the brokers keep these in Redis instead.

CREATE TABLE broker_claims (
  key        text        PRIMARY KEY CHECK (key ~ '^(client|device):'),
  account    text        NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE broker_claims IS 'What belongs to which MQTT account: client:<client id> (its session) and device:<device> (made by a source account''s messages). account is an mqtt_accounts name, or (revoked): the next account to use the id starts a clean session.';

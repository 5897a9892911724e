-- MQTT accounts: who may connect to the broker, with what role. Managed by `pimonitor device …`.

CREATE TABLE mqtt_accounts (
  name          text        PRIMARY KEY,
  role          text        NOT NULL CHECK (role IN ('device', 'ingest', 'alerts', 'reader')),
  password_hash text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  rotated_at    timestamptz,
  revoked_at    timestamptz,
  -- Set for accounts pimonitor creates for itself (the ingest of `pimonitor up`); they do not count
  -- when deciding whether anonymous clients are still allowed on loopback.
  managed_by    text
);
COMMENT ON TABLE mqtt_accounts IS 'MQTT accounts: a device may publish only under home/<name>/; ingest, alerts and reader may read home/#. Passwords are scrypt hashes.';
COMMENT ON COLUMN mqtt_accounts.password_hash IS 'scrypt$N$r$p$salt$hash (base64); the password itself is shown once, when created or rotated.';

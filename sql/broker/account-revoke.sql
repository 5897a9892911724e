-- Revokes active account ${name}, its bcrypt hash for NATS with it; returns its name, or no row when there is none.
UPDATE mqtt_accounts SET revoked_at = now(), nats_password_hash = NULL
WHERE name = ${name} AND revoked_at IS NULL
RETURNING name

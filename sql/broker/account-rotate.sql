-- A new password for active account ${name}; returns its name, or no row when there is none.
UPDATE mqtt_accounts SET password_hash = ${passwordHash}, nats_password_hash = ${natsPasswordHash}, rotated_at = now()
WHERE name = ${name} AND revoked_at IS NULL
RETURNING name

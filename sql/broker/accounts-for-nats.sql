-- Active accounts with their bcrypt hashes (null before schema 19), by name, for `device export --nats`.
SELECT name, role, kind, nats_password_hash, managed_by FROM mqtt_accounts WHERE revoked_at IS NULL ORDER BY name

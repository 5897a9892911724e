-- Active accounts, what the broker authenticates against, by name.
SELECT name, role, kind, password_hash, managed_by FROM mqtt_accounts WHERE revoked_at IS NULL ORDER BY name

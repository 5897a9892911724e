-- Creates account ${name}, or re-creates it when revoked (new password, created now); returns its name, or
-- no row when an active account has the name.
INSERT INTO mqtt_accounts (name, role, password_hash, managed_by, kind, nats_password_hash)
VALUES (${name}, ${role}, ${passwordHash}, ${managedBy}, ${kind}, ${natsPasswordHash})
ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, kind = EXCLUDED.kind, password_hash = EXCLUDED.password_hash,
  nats_password_hash = EXCLUDED.nats_password_hash,
  created_at = now(), rotated_at = NULL, revoked_at = NULL, managed_by = EXCLUDED.managed_by
WHERE mqtt_accounts.revoked_at IS NOT NULL
RETURNING name

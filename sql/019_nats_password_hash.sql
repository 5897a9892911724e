-- Schema version 19: an account's password also as a bcrypt hash, for `pimonitor device export --nats`
-- (issue 29). nats-server checks a user's password against a bcrypt hash ($2a$/$2b$) only, and the scrypt
-- hash the embedded broker checks cannot be turned into one: the password itself is needed, and pimonitor
-- has it only when it makes one (`device add`, `device rotate`, `pimonitor up`'s own accounts). Accounts
-- made before this version have none: the export leaves them out and names them with the command that
-- gives them one. The passwords are 144 random bits, so a second hash of them makes guessing no easier.

ALTER TABLE mqtt_accounts ADD COLUMN nats_password_hash text;
COMMENT ON COLUMN mqtt_accounts.nats_password_hash IS 'bcrypt hash ($2b$10$…) of the same password, for nats-server''s users (`pimonitor device export --nats`); NULL for accounts whose password was set before schema version 19.';

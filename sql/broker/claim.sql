-- Claims ${key} for ${account} unless held; returns the holder either way (the inserted row, or the one there).
WITH inserted AS (
  INSERT INTO broker_claims (key, account) VALUES (${key}, ${account})
  ON CONFLICT (key) DO NOTHING
  RETURNING account
)
SELECT account FROM inserted
UNION ALL
SELECT account FROM broker_claims WHERE key = ${key}
LIMIT 1

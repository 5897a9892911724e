-- Gives ${key} to ${to} if ${from} holds it (or nobody does); returns the holder afterwards.
WITH moved AS (
  INSERT INTO broker_claims (key, account) VALUES (${key}, ${to})
  ON CONFLICT (key) DO UPDATE SET account = EXCLUDED.account, claimed_at = now()
  WHERE broker_claims.account = ${from}
  RETURNING account
)
SELECT account FROM moved
UNION ALL
SELECT account FROM broker_claims WHERE key = ${key}
LIMIT 1

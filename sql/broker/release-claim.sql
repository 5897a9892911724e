-- Releases ${key} if ${account} holds it.
DELETE FROM broker_claims WHERE key = ${key} AND account = ${account}

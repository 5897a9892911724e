-- Every claim, for the broker's start.
SELECT key, account FROM broker_claims

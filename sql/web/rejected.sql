-- /api/rejected: the latest ${limit} rejected messages, newest first, each payload's first 200 bytes.
SELECT received_at, topic, code, reason, payload_bytes, substring(payload FROM 1 FOR 200) AS payload
FROM rejected_messages ORDER BY id DESC LIMIT ${limit}

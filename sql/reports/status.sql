-- Status changes of the report's devices in [from, to), with the last one before `from` (the state at the start).
SELECT l.device, l.at, l.status
FROM device_status_log l
WHERE l.device = ANY($1::text[]) AND l.at < $3
  AND (l.at >= $2 OR l.at = (SELECT max(p.at) FROM device_status_log p WHERE p.device = l.device AND p.at < $2))
ORDER BY l.device, l.at

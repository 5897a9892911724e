-- Keeps first/last seen current; a status only replaces an older one (batches can be replayed).
INSERT INTO devices (device, first_seen, last_seen, status, status_changed_at)
VALUES ${values:raw}
ON CONFLICT (device) DO UPDATE SET
  first_seen = LEAST(devices.first_seen, EXCLUDED.first_seen),
  last_seen = GREATEST(devices.last_seen, EXCLUDED.last_seen),
  status = CASE
    WHEN EXCLUDED.status_changed_at IS NOT NULL
     AND (devices.status_changed_at IS NULL OR EXCLUDED.status_changed_at >= devices.status_changed_at)
    THEN EXCLUDED.status ELSE devices.status END,
  status_changed_at = GREATEST(devices.status_changed_at, EXCLUDED.status_changed_at)

-- Devices offline now, and since when, for offline rules and inhibition after a restart.
SELECT device, coalesce(status_changed_at, last_seen) AS since FROM devices WHERE status = 'offline'

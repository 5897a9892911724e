-- Every account, revoked ones too, by name, for `pimonitor device list`.
SELECT name, role, kind, created_at, rotated_at, revoked_at, managed_by FROM mqtt_accounts ORDER BY name

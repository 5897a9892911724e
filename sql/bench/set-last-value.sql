-- Each series' last_value: its reading at last_ts.
UPDATE series s SET last_value = r.value FROM readings_raw r WHERE r.series_id = s.id AND r.ts = s.last_ts

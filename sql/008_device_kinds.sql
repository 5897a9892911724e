-- Schema version 8: devices of other projects log in too. A Tasmota, a Zigbee2MQTT bridge, an ESPHome node or a
-- Shelly gets an account whose kind decides which topics it may use (broker/policy.ts).

ALTER TABLE mqtt_accounts ADD COLUMN kind text NOT NULL DEFAULT 'pimonitor'
  CHECK (kind IN ('pimonitor', 'tasmota', 'zigbee2mqtt', 'esphome', 'shelly'));
ALTER TABLE mqtt_accounts ADD CONSTRAINT mqtt_accounts_kind_is_for_devices CHECK (kind = 'pimonitor' OR role = 'device');
COMMENT ON COLUMN mqtt_accounts.kind IS 'A device''s firmware: pimonitor publishes home/<name>/#; tasmota tele/<name>/# and stat/<name>/#; zigbee2mqtt <name>/# (the base topic) and homeassistant/#; esphome and shelly <name>/# (the topic prefix).';

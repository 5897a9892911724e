-- The head of the Node-RED peer's INSERT; its function node appends one positional VALUES tuple per row
-- (bench/node-red-peer.ts, TO_INSERT), as a user of node-red-contrib-postgres-multi writes it.
INSERT INTO nodered_readings (ts, device, sensor, metric, value) VALUES

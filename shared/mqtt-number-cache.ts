import mqttPacket from 'mqtt-packet';

/**
 * mqtt-packet (under MQTT.js and Aedes) otherwise keeps a 2-byte Buffer for each of the 65,536 packet
 * ids and lengths it may write, made at the first packet: about 6 MiB of every process's heap, a ninth of
 * a Pi Zero node's memory, to save one small allocation per packet. Off for the whole process; it holds
 * for every client and the broker in it (it is mqtt-packet's module state, as MQTT.js's `writeCache`).
 */
export function withoutPacketNumberCache(): void {
  mqttPacket.writeToStream.cacheNumbers = false;
}

import { connect as tcp, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

/** MQTT 3.1.1 packets written by hand to a plain TCP socket, for tests that need what MQTT.js will not send. */
export const bytes = (packet: object) => mqttPacket.generate(packet as mqttPacket.Packet);
export const CONNECT = (clientId: string) =>
  bytes({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 0 });

/** A raw MQTT client: connects, optionally subscribes, and resolves once the broker has answered. */
export function rawClient(port: number, clientId: string, subscribeTo?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcp(port, '127.0.0.1');
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(CONNECT(clientId));
      if (subscribeTo)
        socket.write(bytes({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: subscribeTo, qos: 1 }] }));
      // The CONNACK (and SUBACK) arrive in the first bytes read; after that this client may freeze.
      socket.once('data', () => resolve(socket));
    });
  });
}

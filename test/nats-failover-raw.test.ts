// @engine-independent: opens no database (jest.config.js)
import type { MqttClient } from 'mqtt';
import { eventually } from './helpers/net.js';
import { killAtAThird, KNOWN_LOSS, PUBLISHERS, RATE, TOTAL } from './helpers/nats-failover.js';
import { closeAll, publishLoad } from './support/load.js';
import { startNatsCluster, type NatsCluster } from './support/nats.js';
import { needsNats } from './support/services.js';

/**
 * Issue 29's failover, with no pimonitor code in the way: three nats-server nodes, publishers on node 1
 * at QoS 1, node 2 killed with -9 mid-stream, and two plain MQTT.js subscribers with persistent QoS 1
 * sessions (one given node 2 then node 3, one on node 3 only). It tells a loss in nats-server from one
 * in ingest: on 2.9.10 these lose the same way as ingest (1-17 acknowledged messages, docs/scale-out.md
 * "Measured"; the bounds: test/helpers/nats-failover.ts). Ingest's failover: test/nats-failover.test.ts.
 */
const natsTest = await needsNats('the NATS failover test');
const failoverTest = natsTest;

failoverTest(
  "plain MQTT.js subscribers get every message acknowledged to its publisher when node 2 is killed with -9, but for " +
    "nats-server 2.9's known loss at the kill",
  async () => {
    const nats = await startNatsCluster({ nodes: 3 });
    const [n1, n2, n3] = nats.nodes as [NatsCluster['nodes'][0], NatsCluster['nodes'][0], NatsCluster['nodes'][0]];
    const subscribers: MqttClient[] = [];
    let raw: MqttClient[] = [];
    try {
      const seen = [new Set<number>(), new Set<number>()];
      const { default: mqtt } = await import('mqtt');
      const options = [
        {
          servers: [
            { host: '127.0.0.1', port: n2.mqttPort }, { host: '127.0.0.1', port: n3.mqttPort },
          ],
          clientId: 'raw-failover-0',
        },
        { servers: [{ host: '127.0.0.1', port: n3.mqttPort }], clientId: 'raw-failover-1' },
      ];
      for (const [i, o] of options.entries()) {
        const client = mqtt.connect({ ...o, clean: false, reconnectPeriod: 200, connectTimeout: 5000 });
        subscribers.push(client);
        client.on('error', () => {});
        client.on('message', (_topic, payload) =>
          seen[i]!.add((JSON.parse(payload.toString()) as { seq: number }).seq),
        );
        await new Promise((resolve) => client.once('connect', resolve));
        await client.subscribeAsync('home/+/+', { qos: 1 });
      }
      const kill = killAtAThird(n2);
      const load = await publishLoad({
        url: n1.mqttUrl, publishers: PUBLISHERS, total: TOTAL, ratePerSecond: RATE, devicePrefix: 'rawfo',
        onConnected: (c) => (raw = c), onAck: (seq, _p, at) => kill.onAck(seq, at),
      });
      raw = load.clients;
      await kill.killed();
      const missingOf = (s: Set<number>) => Array.from({ length: TOTAL }, (_, i) => i).filter((i) => !s.has(i));
      // All, or all but nats-server's loss with the counts unchanged for 5 s (its ack wait is 30 s: what it
      // meant to send again would have come).
      let last = { sizes: '', since: Date.now() };
      await eventually('every acknowledged message at both subscribers', async () => {
        const sizes = seen.map((s) => s.size).join();
        if (sizes !== last.sizes) last = { sizes, since: Date.now() };
        return seen.every((s) => s.size === TOTAL) ||
          (seen.every((s) => s.size >= TOTAL - KNOWN_LOSS) && Date.now() - last.since > 5000)
          ? true
          : undefined;
      }, 60_000).catch(() => {});
      // Within nats-server's known loss (KNOWN_LOSS): a few, acknowledged around the kill.
      const lost = { viaNode2Then3: missingOf(seen[0]!), onNode3: missingOf(seen[1]!) };
      const bounded = (l: number[]) => ({ few: l.length <= KNOWN_LOSS, outside: kill.unexplained(l) });
      expect({ viaNode2Then3: bounded(lost.viaNode2Then3), onNode3: bounded(lost.onNode3) }).toEqual({
        viaNode2Then3: { few: true, outside: [] }, onNode3: { few: true, outside: [] },
      });
      if (lost.viaNode2Then3.length + lost.onNode3.length > 0)
        console.warn(
          `nats-failover: nats-server lost ${JSON.stringify(lost)} (allowed up to ${KNOWN_LOSS} each, see KNOWN_LOSS)`,
        );
    } finally {
      await closeAll(raw).catch(() => {});
      subscribers.forEach((c) => c.end(true));
      await nats.stop();
    }
  },
  150_000,
);

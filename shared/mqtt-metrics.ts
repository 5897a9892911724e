import type { MqttClient } from 'mqtt';
import { Counter, type Registry } from 'prom-client';
import { brokerState } from './mqtt-connect.js';

/**
 * `<prefix>broker_switches_total`: how often the component's MQTT client connected to another broker
 * of MQTT_URL's list than the one before (failover), read from the client at scrape time.
 */
export function registerBrokerSwitches(registry: Registry, prefix: string, client: () => MqttClient | undefined): void {
  let seen = 0;
  new Counter({
    name: `${prefix}broker_switches_total`,
    help: 'Times this component connected to another broker of its MQTT_URL list than the one before: failovers.',
    registers: [registry],
    collect() {
      const current = client();
      const now = current ? brokerState(current).switches : seen;
      this.inc(Math.max(0, now - seen));
      seen = now;
    },
  });
}

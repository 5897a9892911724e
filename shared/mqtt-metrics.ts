import type { MqttClient } from 'mqtt';
import type { Registry } from 'prom-client';
import { brokerState } from './mqtt-connect.js';
import { registerTotalCounter } from './total-counter.js';

/**
 * `<prefix>broker_switches_total`: how often the component's MQTT client connected to another broker
 * of MQTT_URL's list than the one before (failover), read from the client at scrape time.
 */
export function registerBrokerSwitches(registry: Registry, prefix: string, client: () => MqttClient | undefined): void {
  let switches = 0;
  const read = () => {
    const current = client();
    if (current) switches = brokerState(current).switches;
    return switches;
  };
  registerTotalCounter(registry, `${prefix}broker_switches_total`,
    'Times this component connected to another broker of its MQTT_URL list than the one before: failovers.', read);
}

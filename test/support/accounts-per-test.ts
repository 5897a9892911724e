import type { MqttClient } from 'mqtt';
import { accountsBroker, type AccountsBroker } from './accounts.js';

/**
 * Registers an afterEach that closes the broker the test started with `start` (same arguments as
 * accountsBroker): the set-up of the hostile-account test files, which each start one broker per test.
 */
export function accountsBrokerPerTest(): { start: typeof accountsBroker } {
  let current: AccountsBroker | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return { start: async (...args) => (current = await accountsBroker(...args)) };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every message `client` receives from now on, as "topic payload". */
export const collect = (client: MqttClient): string[] => {
  const got: string[] = [];
  client.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
  return got;
};

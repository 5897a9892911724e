import mqtt, { type MqttClient } from 'mqtt';
import type { Account } from '../../broker/accounts.js';
import { Authenticator } from '../../broker/authenticator.js';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../broker/broker.js';
import type { DeviceKind, Role } from '../../broker/policy.js';
import { createLogger } from '../../shared/log.js';
import { hashPassword } from '../../shared/password.js';

/**
 * A broker with accounts held in memory (changeable while it runs, reloaded every 100 ms) and MQTT.js
 * clients that log in as them: what the hostile-account tests drive. Every account's password is its
 * name with "-pw".
 */
export interface AccountsBroker {
  broker: RunningBroker;
  auth: Authenticator;
  /** Adds (or replaces) an account; the broker sees it within ~100 ms (wait with `reloaded()`). */
  add(name: string, role: Role, kind?: DeviceKind): Promise<void>;
  revoke(name: string): void;
  reloaded(): Promise<void>;
  /** Connects as `account` (undefined: anonymous); rejects with MQTT.js's error when refused. */
  connect(account: string | undefined, options?: mqtt.IClientOptions): Promise<MqttClient>;
  close(): Promise<void>;
}

const HASHES = new Map<string, string>();
const hashOf = async (password: string) =>
  HASHES.get(password) ?? HASHES.set(password, await hashPassword(password)).get(password)!;

export async function accountsBroker(
  accounts: Array<[string, Role, DeviceKind?]>, options: Partial<BrokerOptions> = {},
): Promise<AccountsBroker> {
  const list: Account[] = [];
  const add = async (name: string, role: Role, kind: DeviceKind = 'pimonitor') => {
    const passwordHash = await hashOf(`${name}-pw`);
    const i = list.findIndex((a) => a.name === name);
    if (i >= 0) list.splice(i, 1);
    list.push({ name, role, kind, passwordHash, managedBy: null });
  };
  for (const [name, role, kind] of accounts) await add(name, role, kind);
  const auth = new Authenticator(async () => [...list], { refreshMs: 100, failureDelayMs: 0 });
  await auth.start();
  const broker = await startBroker({
    host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent'), authenticator: auth, ...options,
  });
  const clients: MqttClient[] = [];
  return {
    broker,
    auth,
    add,
    revoke(name) {
      const i = list.findIndex((a) => a.name === name);
      if (i >= 0) list.splice(i, 1);
    },
    reloaded: () => new Promise((resolve) => setTimeout(resolve, 300)),
    async connect(account, opts = {}) {
      const c = mqtt.connect(broker.url, {
        reconnectPeriod: 0, connectTimeout: 5000, ...(account ? { username: account, password: `${account}-pw` } : {}),
        ...opts,
      });
      clients.push(c);
      await new Promise<void>((resolve, reject) => {
        c.once('connect', () => resolve());
        c.once('error', reject);
        c.once('close', () => reject(new Error('closed before CONNACK')));
      });
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
      await broker.stop();
      auth.stop();
    },
  };
}

/** Resolves when `c` is disconnected by the broker (or after `ms`, to false). */
export function closedWithin(c: MqttClient, ms: number): Promise<boolean> {
  if (!c.connected) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    c.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

import { withoutPacketNumberCache } from './mqtt-number-cache.js';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { ExpectedError } from './expected-error.js';

/**
 * The one way every part of pimonitor connects to MQTT (issue 29): a broker, or a list of brokers
 * (`MQTT_URL=mqtt://a:1883,mqtt://b:1883`, or a JSON list in a config file) tried in turn and failed
 * over on loss, with the same client id, session, credentials and TLS.
 */

/** More than this is a mistake (a pasted file), not a cluster. */
export const MAX_BROKERS = 16;
const SCHEMES = new Set(['mqtt:', 'mqtts:', 'tcp:', 'tls:', 'ws:', 'wss:']);
/** The port of a scheme when a URL gives none, as MQTT.js connects to it. */
const DEFAULT_PORTS: Record<string, number> = {
  mqtt: 1883, tcp: 1883, mqtts: 8883, tls: 8883, ssl: 8883, ws: 80, wss: 443,
};
const EXAMPLE = 'mqtt://127.0.0.1:1883, or several: mqtt://n1:1883,mqtt://n2:1883';

export type BrokerList = { ok: true; urls: string[] } | { ok: false; reason: string };

/** A broker URL, or a list of them as one comma-separated string or an array. Pure; never throws. */
export function parseBrokerList(value: unknown): BrokerList {
  const split = parseEntries(typeof value === 'string' ? value.split(',') : value, Array.isArray(value));
  // One URL with a comma in its password or query (valid before MQTT_URL took lists) is one broker.
  const oneUrlWithComma = !split.ok && typeof value === 'string' && value.includes(',')
    && urlProblem(value.trim(), false) === null && !hostOf(value.trim()).includes(',');
  if (oneUrlWithComma) return { ok: true, urls: [(value as string).trim()] };
  return split;
}

function parseEntries(value: unknown, fromArray: boolean): BrokerList {
  const fail = (problem: string): BrokerList => ({
    ok: false,
    reason: `must be an MQTT URL such as ${EXAMPLE}: ${problem}`,
  });
  const entries = Array.isArray(value) ? value : undefined;
  if (!entries) return fail(`got ${value === null ? 'null' : typeof value}, not text or a list of text`);
  if (entries.length === 0) return fail('the list is empty');
  if (entries.length > MAX_BROKERS) return fail(`${entries.length} brokers are listed, at most ${MAX_BROKERS} may be`);
  const urls: string[] = [];
  for (const [index, entry] of entries.entries()) {
    const which = entries.length > 1 ? `broker ${index + 1} of ${entries.length}` : 'it';
    if (typeof entry !== 'string' || entry.trim() === '') return fail(`${which} is empty or not text`);
    // A file's list is joined into MQTT_URL's form (config/index.ts): a comma would split the entry.
    const problem = fromArray && entries.length > 1 && entry.includes(',')
      ? 'has a comma in it, which would read as two brokers'
      : urlProblem(entry.trim(), entries.length > 1);
    if (problem) return fail(`${which} (${JSON.stringify(entry.trim().slice(0, 100))}) ${problem}`);
    urls.push(entry.trim());
  }
  const twice = urls.find((u, i) => urls.indexOf(u) !== i);
  if (twice) return fail(`${twice} is listed twice`);
  return { ok: true, urls };
}

/**
 * The host of a URL that urlProblem accepted ('mqtt://a,mqtt://b' has the host 'a,mqtt': a list, not one URL).
 */
const hostOf = (text: string): string => new URL(text).hostname;

function urlProblem(text: string, inList: boolean): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  if (!SCHEMES.has(url.protocol)) return `has scheme ${url.protocol.replace(/:$/, '')}; use mqtt, mqtts, ws or wss`;
  if (!url.hostname) return 'has no host';
  if (!inList) return null;
  // MQTT.js carries only host, port and scheme from one broker of a list to the next.
  if (url.protocol === 'ws:' || url.protocol === 'wss:') {
    return 'is a WebSocket URL, which a list cannot carry (its path is lost); list mqtt:// or mqtts:// brokers';
  }
  if (url.username || url.password) {
    return 'has a user name or password in it; with several brokers, give them once as MQTT_USERNAME and '
      + 'MQTT_PASSWORD';
  }
  return null;
}

/** Where a client is connected now, and how often it moved to another broker of its list. */
export interface BrokerState {
  readonly urls: readonly string[];
  /** The broker of the last CONNACK, as scheme://host:port; undefined before the first. */
  current: string | undefined;
  switches: number;
}

const states = new WeakMap<MqttClient, BrokerState>();

/** The state of a client made by connectMqtt (a client made otherwise reads as one broker, never switched). */
export function brokerState(client: MqttClient): BrokerState {
  return states.get(client) ?? { urls: [], current: undefined, switches: 0 };
}

export interface SwitchEvent {
  from: string;
  to: string;
  switches: number;
}

/**
 * Connects to `urls` (as parseBrokerList reads them; an invalid value throws its reason, which config
 * validation has already said at start). One broker is MQTT.js as before; several go to MQTT.js's
 * `servers`, which builds each (re)connection to the next broker of the list in turn, so a broker
 * that is gone is left on the first reconnect and the session goes on at the next (same client id).
 */
export function connectMqtt(
  urls: unknown,
  options: IClientOptions,
  onSwitch?: (event: SwitchEvent) => void,
): MqttClient {
  const list = parseBrokerList(urls);
  if (!list.ok) throw new Error(`MQTT_URL ${list.reason}`);
  const [first, ...rest] = list.urls;
  const servers = rest.length === 0 ? undefined : list.urls.map((text) => {
    const url = new URL(text);
    const secure = url.protocol === 'mqtts:' || url.protocol === 'tls:';
    const protocol = secure ? 'mqtts' as const : 'mqtt' as const;
    return {
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(url.port) || DEFAULT_PORTS[protocol]!,
      protocol,
    };
  });
  withoutPacketNumberCache();
  const client = mqtt.connect(first!, servers ? { ...options, servers } : options);
  const state: BrokerState = { urls: list.urls, current: undefined, switches: 0 };
  states.set(client, state);
  if (servers && options.servername === undefined) {
    // MQTT.js (5.16, build/lib/connect/tls.js) sets options.servername to the first TLS host it
    // connects to and keeps it, so the next broker of the list would be checked against the first
    // one's name. No upstream issue found; cleared before each reconnection builds its stream.
    client.on('reconnect', () => delete (client.options as { servername?: string }).servername);
  }
  client.on('connect', () => {
    const now = brokerOf(client);
    if (state.current !== undefined && state.current !== now) {
      state.switches++;
      onSwitch?.({ from: state.current, to: now, switches: state.switches });
    }
    state.current = now;
  });
  return client;
}

/**
 * The broker a client is connected to or last tried, as scheme://host:port (MQTT.js sets host, port
 * and protocol before each attempt; a URL without a port is shown with its scheme's default).
 */
export function brokerOf(client: MqttClient): string {
  const { protocol, hostname, host, port } = client.options as {
    protocol?: string;
    hostname?: string;
    host?: string;
    port?: number;
  };
  const name = hostname || host || '';
  return `${protocol}://${name.includes(':') ? `[${name}]` : name}:${port || DEFAULT_PORTS[protocol ?? ''] || ''}`;
}

/**
 * For a command that runs once: connects to the first broker of the list that answers within
 * `connectTimeout`, without reconnecting; when none does, rejects with one ExpectedError naming each
 * broker and its cause (the CLI prints it without a stack).
 */
export async function connectMqttOnce(urls: unknown, options: IClientOptions): Promise<MqttClient> {
  const list = parseBrokerList(urls);
  if (!list.ok) throw new ExpectedError(`MQTT_URL ${list.reason}`);
  const causes: string[] = [];
  for (const url of list.urls) {
    try {
      return await mqtt.connectAsync(url, { ...options, reconnectPeriod: 0 }, false);
    } catch (err) {
      const cause = (err instanceof Error ? err.message : String(err)).replace(/^Error: /, '');
      causes.push(`${redacted(url)} (${cause})`);
    }
  }
  throw new ExpectedError(`no broker of MQTT_URL answered: ${causes.join('; ')}`);
}

/** A URL without its password, for a message. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

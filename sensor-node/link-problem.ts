/**
 * Why a node cannot reach its broker, in the owner's words, with the setting to check (issue 25,
 * item 6): a refused login, an unknown host, nothing listening, or a port that never answers. Pure.
 */
export interface LinkProblem {
  cause: string;
  check: string;
}

export function describeLinkProblem(err: unknown, url: string, connectTimeoutMs: number): LinkProblem {
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message.slice(0, 200) : '';
  // MQTT.js says "connack timeout" when the port accepted the connection and never answered.
  if (err === undefined || /connack timeout/i.test(message)) return { cause: `no answer from ${url} within ${connectTimeoutMs / 1000} s (a silent port, a firewall, or the wrong host)`, check: 'MQTT_URL (mqtt.url)' };
  if (/not authori[sz]ed|bad user ?name or password|Connection refused: (Not authorized|Bad username)/i.test(message) || e.code === 4 || e.code === 5 || e.code === 134 || e.code === 135) {
    return { cause: `the broker refused the login (${message || `code ${String(e.code)}`})`, check: 'MQTT_USERNAME and MQTT_PASSWORD (mqtt.username, mqtt.password), and the account on the broker' };
  }
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return { cause: `the broker's host name does not resolve (${String(e.code)})`, check: 'MQTT_URL (mqtt.url), and the Pi\'s DNS' };
  if (e.code === 'ECONNREFUSED') return { cause: `nothing listens at ${url} (ECONNREFUSED)`, check: 'MQTT_URL (mqtt.url), and that the broker runs' };
  if (e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH') return { cause: `no route to the broker (${String(e.code)}: Wi-Fi down?)`, check: 'the Pi\'s network' };
  const code = typeof e.code === 'string' || typeof e.code === 'number' ? String(e.code).slice(0, 40) : '';
  return { cause: message || code || 'an unknown error', check: 'MQTT_URL (mqtt.url)' };
}

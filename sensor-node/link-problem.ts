/**
 * Why a node cannot reach its broker, in the owner's words, with the setting to check (issue 25,
 * item 6): a refused login, an unknown host, nothing listening, or a port that never answers. Pure.
 */
export interface LinkProblem {
  cause: string;
  check: string;
}

const LOGIN_REFUSED = /not authori[sz]ed|bad user ?name or password|Connection refused: (Not authorized|Bad username)/i;
/** CONNACK return codes of a refused login: MQTT 3.1.1 (4, 5) and MQTT 5 (134, 135). */
const LOGIN_REFUSED_CODES: readonly unknown[] = [4, 5, 134, 135];

export function describeLinkProblem(err: unknown, url: string, connectTimeoutMs: number): LinkProblem {
  const failure = (err ?? {}) as { code?: unknown; message?: unknown };
  const { code } = failure;
  const message = typeof failure.message === 'string' ? failure.message.slice(0, 200) : '';
  // MQTT.js says "connack timeout" when the port accepted the connection and never answered.
  if (err === undefined || /connack timeout/i.test(message)) {
    return {
      cause: `no answer from ${url} within ${connectTimeoutMs / 1000} s (a silent port, a firewall, or the wrong host)`,
      check: 'MQTT_URL (mqtt.url)',
    };
  }
  if (LOGIN_REFUSED.test(message) || LOGIN_REFUSED_CODES.includes(code)) {
    return {
      cause: `the broker refused the login (${message || `code ${String(code)}`})`,
      check: 'MQTT_USERNAME and MQTT_PASSWORD (mqtt.username, mqtt.password), and the account on the broker',
    };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    const cause = `the broker's host name does not resolve (${String(code)})`;
    return { cause, check: "MQTT_URL (mqtt.url), and the Pi's DNS" };
  }
  if (code === 'ECONNREFUSED') {
    const cause = `nothing listens at ${url} (ECONNREFUSED)`;
    return { cause, check: 'MQTT_URL (mqtt.url), and that the broker runs' };
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return { cause: `no route to the broker (${String(code)}: Wi-Fi down?)`, check: "the Pi's network" };
  }
  const shownCode = typeof code === 'string' || typeof code === 'number' ? String(code).slice(0, 40) : '';
  return { cause: message || shownCode || 'an unknown error', check: 'MQTT_URL (mqtt.url)' };
}

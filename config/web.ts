import { PORT_OR_ANY } from './bounds.js';
import { parseHostList } from '../shared/allowed-hosts.js';

/** `pimonitor web`: the JSON API and live events the dashboard (and scripts) use. */
export const web = {
  web: {
    host: {
      doc: 'Address the web server listens on. A request from this machine needs no login; one from any other '
        + 'address, or through a proxy (Forwarded, X-Forwarded-For), needs a reader account (`pimonitor device add '
        + 'NAME --role reader`), whatever this address is.',
      format: String,
      default: '127.0.0.1',
      env: 'WEB_HOST',
    },
    hosts: {
      doc: 'Host names the dashboard answers to besides localhost, 127.0.0.1 and [::1] (comma-separated, no port, '
        + 'e.g. pi.lan,192.168.1.10); any other Host header gets 421. The MQTT WebSocket listener accepts browser '
        + 'pages from the same names only.',
      format: (value: unknown) => {
        if (typeof value !== 'string') {
          throw new Error('must be a comma-separated list of host names, e.g. pi.lan,192.168.1.10');
        }
        const parsed = parseHostList(value);
        if (!parsed.ok) throw new Error(parsed.problems.join('; '));
      },
      default: '',
      env: 'WEB_HOSTS',
    },
    port: {
      doc: 'Port of the web server; 0 picks a free one.',
      format: 'port',
      default: 8080,
      env: 'WEB_PORT',
      bounds: PORT_OR_ANY,
    },
    clientId: {
      doc: 'MQTT client id of the web server\'s subscription to live readings.',
      format: String,
      default: 'pimonitor-web',
      env: 'WEB_CLIENT_ID',
    },
  },
};

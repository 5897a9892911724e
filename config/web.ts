/** `pimonitor web`: the JSON API and live events the dashboard (and scripts) use. */
export const web = {
  web: {
    host: {
      doc: 'Address the web server listens on. Loopback needs no login; any other address requires one (a reader account: `pimonitor device add NAME --role reader`).',
      format: String,
      default: '127.0.0.1',
      env: 'WEB_HOST',
    },
    port: {
      doc: 'Port of the web server; 0 picks a free one.',
      format: 'port',
      default: 8080,
      env: 'WEB_PORT',
    },
    clientId: {
      doc: 'MQTT client id of the web server\'s subscription to live readings.',
      format: String,
      default: 'pimonitor-web',
      env: 'WEB_CLIENT_ID',
    },
  },
};

export const mqtt = {
  mqtt: {
    url: {
      doc: 'The MQTT broker that ingest, alerts, the web server and sensor nodes connect to; several, comma-separated '
        + '(a JSON list in a file), are tried in turn and failed over on loss (docs/scale-out.md).',
      format: 'mqtt-url',
      default: 'mqtt://127.0.0.1:1883',
      env: 'MQTT_URL',
    },
    username: {
      doc: 'MQTT user name; empty connects anonymously.',
      format: String,
      default: '',
      env: 'MQTT_USERNAME',
    },
    password: {
      doc: 'MQTT password.',
      format: String,
      default: '',
      env: 'MQTT_PASSWORD',
      sensitive: true,
    },
  },
};

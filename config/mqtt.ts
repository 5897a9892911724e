export const mqtt = {
  mqtt: {
    url: {
      doc: 'The MQTT broker that ingest and sensor nodes connect to.',
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

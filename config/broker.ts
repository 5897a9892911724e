export const broker = {
  broker: {
    embedded: {
      doc: 'Whether `pimonitor up` starts the embedded MQTT broker; false to use the broker at MQTT_URL.',
      format: Boolean,
      default: true,
      env: 'BROKER_EMBEDDED',
    },
    host: {
      doc: 'Address the embedded MQTT broker listens on.',
      format: String,
      default: '0.0.0.0',
      env: 'MQTT_HOST',
    },
    port: {
      doc: 'Port the embedded MQTT broker listens on.',
      format: 'port',
      default: 1883,
      env: 'MQTT_PORT',
    },
  },
};

import { defaultDeviceName } from './formats.js';

export const node = {
  node: {
    device: {
      doc: 'This node\'s device name, the <device> in home/<device>/<sensor>; defaults to the hostname.',
      format: 'device-name',
      default: defaultDeviceName(),
      env: 'NODE_DEVICE',
    },
    intervalMs: {
      doc: 'How often each sensor is read and published, in milliseconds.',
      format: 'positive-int',
      default: 10_000,
      env: 'NODE_INTERVAL_MS',
    },
    simulate: {
      doc: 'Publish a simulated DHT22 (temperature, humidity) as sensor "dht22" instead of reading hardware.',
      format: Boolean,
      default: false,
      env: 'NODE_SIMULATE',
    },
  },
};

// @engine-independent: opens no database (jest.config.js)
import { createServer, type Socket } from 'node:net';
import { ExpectedError } from '../shared/expected-error.js';
import { connectMqttOnce } from '../shared/mqtt-connect.js';
import { freePortOnLoopback } from './support/ports.js';

// Issue 29: a command given MQTT_URL as a list (pimonitor alerts test) that reaches none of them is
// told about each broker and why, as an expected failure (no stack), within its connect timeouts.

test('no broker of the list answers: one error naming each broker and its cause', async () => {
  const gone = `mqtt://127.0.0.1:${await freePortOnLoopback()}`;
  const sockets = new Set<Socket>();
  const server = createServer((s) => (sockets.add(s), s.on('error', () => {})));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const silent = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const started = Date.now();
    const err = await connectMqttOnce(`${gone},${silent}`, { connectTimeout: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExpectedError);
    const message = (err as Error).message;
    expect(message).toContain(`${gone} (connect ECONNREFUSED`);
    expect(message).toContain(`${silent} (`);
    expect(message).toMatch(/no broker of MQTT_URL answered/);
    expect(Date.now() - started).toBeLessThan(5000);
    // One broker: its own error, as before, also without a stack.
    await expect(connectMqttOnce(gone, { connectTimeout: 1000 })).rejects.toThrow(/ECONNREFUSED/);
  } finally {
    sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => server.close(resolve));
  }
}, 20_000);

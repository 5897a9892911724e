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

test(
  'one URL with a comma in its password or query is one broker, as before lists (it was split and refused)',
  async () => {
    const { parseBrokerList } = await import('../shared/mqtt-connect.js');
    expect(parseBrokerList('mqtt://user:pa,ss@n1:1883')).toEqual({ ok: true, urls: ['mqtt://user:pa,ss@n1:1883'] });
    expect(parseBrokerList('wss://n1/mqtt?tags=a,b')).toEqual({ ok: true, urls: ['wss://n1/mqtt?tags=a,b'] });
    expect(parseBrokerList(['mqtt://user:pa,ss@n1:1883'])).toEqual({ ok: true, urls: ['mqtt://user:pa,ss@n1:1883'] });
    // A list stays a list, and its mistakes are still named entry by entry.
    expect(parseBrokerList('mqtt://a,mqtt://b')).toEqual({ ok: true, urls: ['mqtt://a', 'mqtt://b'] });
    // Without ports a list also reads as one URL whose host has a comma ('a,mqtt'): still a list.
    expect(parseBrokerList('mqtt://a,mqtt://a')).toMatchObject({
      ok: false, reason: expect.stringContaining('mqtt://a is listed twice'),
    });
    expect(parseBrokerList('mqtt://a,ws://b/mqtt')).toMatchObject({
      ok: false, reason: expect.stringContaining('is a WebSocket URL'),
    });
    expect(parseBrokerList('mqtt://a,mqtt://u:p@b')).toMatchObject({
      ok: false, reason: expect.stringContaining('MQTT_USERNAME'),
    });
    expect(parseBrokerList('mqtt://n1:1883,n2:1883')).toMatchObject({
      ok: false, reason: expect.stringContaining('broker 2 of 2 ("n2:1883")'),
    });
    // In a file's list an entry with a comma would read as two once joined into MQTT_URL: refused.
    expect(parseBrokerList(['mqtt://a:1/?x=1,2', 'mqtt://b:2'])).toMatchObject({
      ok: false, reason: expect.stringContaining('broker 1 of 2 ("mqtt://a:1/?x=1,2") has a comma'),
    });
  },
);

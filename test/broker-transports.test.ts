// @engine-independent: opens no database (jest.config.js)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startBroker } from '../broker/broker.js';
import { ConfigError, loadConfig } from '../config/index.js';
import { createLogger } from '../shared/log.js';

/** A throwaway CA and a server certificate for localhost signed by it (openssl, from the OS). */
function certificates() {
  const dir = mkdtempSync(join(tmpdir(), 'pimonitor-tls-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=pimonitor test CA', '-days', '1', '-keyout',
    'ca.key', '-out', 'ca.pem',
  );
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
  execFileSync('sh', ['-c', 'printf "subjectAltName=DNS:localhost,IP:127.0.0.1" > ext.cnf'], { cwd: dir });
  run(
    'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1',
    '-extfile', 'ext.cnf', '-out', 'server.pem',
  );
  return { dir, ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

test('the same broker over TCP, TLS and WebSocket: a message crosses all three', async () => {
  const certs = certificates();
  const broker = await startBroker({
    host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent'),
    // Port 0: a port probed free can be taken by a test running beside this one before the broker binds it.
    tls: { host: '127.0.0.1', port: 0, certFile: certs.cert, keyFile: certs.key },
    websocket: { host: '127.0.0.1', port: 0 },
  });
  const overTls = await mqtt.connectAsync(`mqtts://localhost:${broker.tlsPort}`, {
    ca: readFileSync(certs.ca), reconnectPeriod: 0,
  });
  const overWs = await mqtt.connectAsync(`ws://127.0.0.1:${broker.websocketPort}`, { reconnectPeriod: 0 });
  const overTcp = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  try {
    const received = (c: mqtt.MqttClient) =>
      new Promise<string>((resolve) => c.once('message', (_t, p) => resolve(p.toString())));
    await overTls.subscribeAsync('home/#', { qos: 1 });
    await overWs.subscribeAsync('home/#', { qos: 1 });
    const [a, b] = [received(overTls), received(overWs)];
    await overTcp.publishAsync('home/kitchen/dht22', '{"temperature":21}', { qos: 1 });
    expect(await a).toBe('{"temperature":21}');
    expect(await b).toBe('{"temperature":21}');
    // A TLS client that does not trust the broker's CA is refused by the handshake.
    await expect(
      mqtt.connectAsync(`mqtts://localhost:${broker.tlsPort}`, { reconnectPeriod: 0, connectTimeout: 3000 }),
    ).rejects.toThrow(/self.signed|unable to (get|verify)/i);
  } finally {
    await Promise.all([overTls, overWs, overTcp].map((c) => c.endAsync(true)));
    await broker.stop();
  }
}, 30_000);

test('TLS settings are checked together: a listener without its files is refused at start', () => {
  expect(() => loadConfig({ env: { MQTT_TLS: 'true' } })).toThrow(ConfigError);
  let problems: string[] = [];
  try {
    loadConfig({ env: { MQTT_TLS: 'true', MQTT_TLS_REQUIRE_CLIENT_CERT: 'true', MQTT_TLS_CERT_FILE: '/x.pem' } });
  } catch (err) {
    problems = (err as ConfigError).problems;
  }
  expect(problems).toEqual([
    'broker.tls.keyFile (default): is required when broker.tls.enabled is true',
    'broker.tls.caFile (default): is required when broker.tls.requireClientCert is true',
  ]);
});

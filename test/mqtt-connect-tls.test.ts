// @engine-independent: opens no database (jest.config.js)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { createLogger } from '../shared/log.js';
import { brokerState, connectMqtt, type SwitchEvent } from '../shared/mqtt-connect.js';
import { eventually } from './helpers/net.js';

// Issue 29, item 1: a list of mqtts:// brokers fails over with each broker's certificate checked
// against that broker's own name (MQTT.js keeps the first TLS host as servername otherwise).

/** A throwaway CA, and for each name a server certificate valid for that name only. */
function certificates(names: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'pimonitor-tls-list-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=pimonitor test CA', '-days', '1', '-keyout',
    'ca.key', '-out', 'ca.pem',
  );
  const servers = names.map((name) => {
    run(
      'req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`,
    );
    execFileSync('sh', ['-c', `printf "subjectAltName=DNS:${name}" > ${name}.cnf`], { cwd: dir });
    run(
      'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1',
      '-extfile', `${name}.cnf`, '-out', `${name}.pem`,
    );
    return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  });
  return { ca: readFileSync(join(dir, 'ca.pem')), servers };
}

/** A second name of this machine for 127.0.0.1 besides localhost (/etc/hosts), if there is one. */
function otherLoopbackName(): string | undefined {
  try {
    const hosts = readFileSync('/etc/hosts', 'utf8');
    for (const line of hosts.split('\n')) {
      const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
      if (address === '127.0.0.1')
        for (const n of names) if (n !== 'localhost' && /^[a-z][a-z0-9-]*$/i.test(n)) return n;
    }
  } catch {
    // no /etc/hosts
  }
  return undefined;
}

const log = createLogger('broker', 'silent');
const opened: RunningBroker[] = [];
const clients: MqttClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await Promise.all(opened.splice(0).map((b) => b.stop()));
});

const second = otherLoopbackName();
(second ? test : test.skip)(
  `mqtts://localhost,mqtts://${second ?? '<another name of 127.0.0.1>'}: the second broker's certificate is checked ` +
    `against its own name`,
  async () => {
    const { ca, servers } = certificates(['localhost', second!]);
    for (const s of servers)
      opened.push(
        await startBroker({
          host: '127.0.0.1', port: 0, log, tls: { host: '127.0.0.1', port: 0, certFile: s.cert, keyFile: s.key },
        }),
      );
    const [a, b] = opened as [RunningBroker, RunningBroker];
    const switches: SwitchEvent[] = [];
    const errors: string[] = [];
    const client = connectMqtt(
      `mqtts://localhost:${a.tlsPort},mqtts://${second}:${b.tlsPort}`,
      { ca, clientId: 'tls-failover-probe', clean: false, reconnectPeriod: 100 }, (e) => switches.push(e),
    );
    clients.push(client);
    client.on('error', (err) => errors.push(err.message));
    await eventually('connected to the first', async () => client.connected || undefined, 10_000);
    expect(brokerState(client).current).toBe(`mqtts://localhost:${a.tlsPort}`);

    await a.stop();
    opened.shift();
    await eventually(
      'connected to the second', async () => (client.connected && b.connectedClients === 1) || undefined, 10_000,
    );
    expect(switches).toEqual([
      { from: `mqtts://localhost:${a.tlsPort}`, to: `mqtts://${second}:${b.tlsPort}`, switches: 1 },
    ]);
    expect(errors.filter((e) => /altnames|certificate/i.test(e))).toEqual([]);
  },
  30_000,
);

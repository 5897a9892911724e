import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { readingTopic } from '../shared/contract.js';
import { owns } from '../shared/partition.js';
import { deviceKeyOf } from '../shared/sources/decode.js';
import type { CliProcess } from './helpers/cli.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { startIngestProcess } from './helpers/ingest-process.js';
import { eventually } from './helpers/net.js';
import { killAtAThird, KNOWN_LOSS, LOSS_BEFORE_KILL_MS, PUBLISHERS, RATE, TOTAL } from './helpers/nats-failover.js';
import { closeAll, publishLoad } from './support/load.js';
import { startNatsCluster, type NatsCluster } from './support/nats.js';
import { needsNats } from './support/services.js';

/**
 * Issue 29's failover test: three nats-server nodes; publishers on node 1 at QoS 1; ingest partition
 * 0/2 as its own process given MQTT_URL=<node 2>,<node 3>, partition 1/2 given node 3 alone. Node 2 is
 * killed with -9 mid-stream and left down: partition 0/2 fails over to node 3 with the same client id
 * and session, and every reading the publishers got a PUBACK for is stored exactly once (but for
 * nats-server's known loss: test/helpers/nats-failover.ts). The same kill with plain MQTT.js subscribers:
 * test/nats-failover-raw.test.ts.
 */
const natsTest = await needsNats('the NATS failover test');
const failoverTest = natsTest;
const PREFIX = 'natsfo';
/** Rows one load message makes (temperature, humidity, seq, sent: test/support/load.ts). */
const ROWS_PER_MESSAGE = 4;

let database: TestDatabase | undefined;
let cluster: NatsCluster | undefined;
const ingests: CliProcess[] = [];
let publishers: MqttClient[] = [];
const dirs: string[] = [];

afterAll(async () => {
  await closeAll(publishers).catch(() => {});
  for (const ingest of ingests) {
    ingest.child.kill('SIGKILL');
    await ingest.exited;
  }
  await cluster?.stop();
  await database?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const deviceOf = (p: number) => `${PREFIX}${p}`;
const partitionOf = (p: number) =>
  owns({ index: 0, count: 2 }, deviceKeyOf([], readingTopic(deviceOf(p), 'dht22'))) ? 0 : 1;

/**
 * Which acknowledged readings are not stored, as device:seq (a load message's seq is its number over all
 * publishers).
 */
async function missing(devices: string[]): Promise<string[]> {
  const rows = await database!.db.many<{ device: string; seq: number }>(
    "SELECT device, value::int AS seq FROM readings WHERE device = ANY($1) AND metric = 'seq'",
    [devices],
  );
  const have = new Set(rows.map((r) => r.seq));
  const perDevice = Math.ceil(TOTAL / PUBLISHERS);
  return devices.flatMap((d) => {
    const p = Number(d.slice(PREFIX.length));
    return Array.from({ length: perDevice }, (_, i) => p * perDevice + i)
      .filter((seq) => !have.has(seq))
      .map((seq) => `${d}:${seq}`);
  });
}

/** Messages an ingest process took as its partition's, summed over its summary lines. */
const received = (ingest: CliProcess) =>
  ingest
    .output()
    .split('\n')
    .filter((l) => l.includes('"ingest summary"'))
    .reduce((sum, l) => sum + (JSON.parse(l) as { messages: number }).messages, 0);

/** The MQTT streams and their consumers as the surviving nodes see them (/jsz), for a failure's message. */
async function jetStreamState(): Promise<string> {
  const lines: string[] = [];
  for (const node of cluster!.nodes.filter((n) => n.running())) {
    const jsz = (await fetch(`http://127.0.0.1:${node.httpPort}/jsz?consumers=true&config=true`)
      .then((r) => r.json())
      .catch(() => ({}))) as { account_details?: Array<{ stream_detail?: any[] }> };
    for (const stream of jsz.account_details?.flatMap((a) => a.stream_detail ?? []) ?? []) {
      if (stream.name !== '$MQTT_msgs') continue;
      const consumers = (stream.consumer_detail ?? []).map(
        (c: any) =>
          `${c.name} leader ${c.cluster?.leader} delivered ${c.delivered?.stream_seq} ack ` +
          `floor ${c.ack_floor?.stream_seq} ack pending ${c.num_ack_pending} redelivered ${c.num_redelivered} ` +
            `pending ${c.num_pending}`,
      );
      lines.push(
        `${node.name}: $MQTT_msgs leader ${stream.cluster?.leader} messages ${stream.state?.messages} last ` +
          `seq ${stream.state?.last_seq}; ${consumers.join('; ')}`,
      );
    }
  }
  return lines.join('\n');
}

async function stored(devices: string[]): Promise<{ rows: number; messages: number }> {
  return database!.db.one<{ rows: number; messages: number }>(
    'SELECT count(*)::int AS rows, count(DISTINCT (device, ts))::int AS messages FROM readings WHERE device = ANY($1)',
    [devices],
  );
}


function ingestOn(mqttUrl: string, partition: string, clientId: string): Promise<CliProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pimonitor-nats-ingest-'));
  dirs.push(dataDir);
  return startIngestProcess({
    databaseUrl: database!.url,
    mqttUrl,
    dataDir,
    readyTimeoutMs: 30_000,
    env: { INGEST_PARTITION: partition, INGEST_CLIENT_ID: clientId, INGEST_STATS_INTERVAL_MS: '5000' },
  }).then((ingest) => {
    ingests.push(ingest);
    return ingest;
  });
}

failoverTest(
  "node 2 killed with -9 mid-stream and left down: ingest fails over to node 3 and stores every acknowledged reading " +
    "once (but for nats-server 2.9's known loss at the kill), and partition 1/2 on node 3 stores its devices",
  async () => {
    const devices = Array.from({ length: PUBLISHERS }, (_, p) => deviceOf(p));
    const shares = [0, 1].map((i) => devices.filter((_, p) => partitionOf(p) === i));
    expect(shares[0]!.length).toBeGreaterThan(0);
    expect(shares[1]!.length).toBeGreaterThan(0);

    database = await createMigratedTestDatabase();
    cluster = await startNatsCluster({ nodes: 3 });
    const [n1, n2, n3] = cluster.nodes as [NatsCluster['nodes'][0], NatsCluster['nodes'][0], NatsCluster['nodes'][0]];
    const first = await ingestOn(`${n2.mqttUrl},${n3.mqttUrl}`, '0/2', 'pimonitor-ingest-nats-0');
    const second = await ingestOn(n3.mqttUrl, '1/2', 'pimonitor-ingest-nats-1');

    const kill = killAtAThird(n2);
    const lastAckedBeforeKill: number[] = [];
    const load = await publishLoad({
      url: n1.mqttUrl, publishers: PUBLISHERS, total: TOTAL, ratePerSecond: RATE, devicePrefix: PREFIX,
      onConnected: (clients) => (publishers = clients),
      onAck: (seq, p, at) => {
        if (!kill.isKilled()) lastAckedBeforeKill[p] = seq;
        kill.onAck(seq, at);
      },
    });
    publishers = load.clients;
    await kill.killed();
    expect(n2.running()).toBe(false);
    expect(load.acked).toBe(TOTAL);

    // Every reading was acknowledged to its publisher: all must arrive, through node 3 once node 2 is gone
    // (but for nats-server's own loss, see KNOWN_LOSS: then the count must have settled for 5 s).
    let last = { messages: -1, since: Date.now() };
    const all = await eventually(`all ${TOTAL} readings stored`, async () => {
      const now = await stored(devices);
      if (now.messages !== last.messages) last = { messages: now.messages, since: Date.now() };
      return now.messages === TOTAL || (now.messages >= TOTAL - KNOWN_LOSS && Date.now() - last.since > 5000)
        ? now
        : undefined;
    }, 90_000).catch(async (err: unknown) => {
      throw new Error(
        `${String(err)}; stored ${JSON.stringify(await stored(devices))}, ` +
          `missing ${(await missing(devices)).slice(0, 20).join(' ')} (last acked before the ` +
          `kill: ${lastAckedBeforeKill.join(' ')}), partition 0 ${JSON.stringify(await stored(shares[0]!))}, ` +
          `partition 1 ${JSON.stringify(await stored(shares[1]!))}; received by ingest 0/2 ${received(first)}, by ` +
            `1/2 ${received(second)}\n${await jetStreamState()}\ningest 0/2:\n${first.output().slice(-3000)}`,
      );
    });
    // Nothing stored twice, and what is missing is nats-server's loss: acknowledged around the kill.
    expect(all.rows).toBe(all.messages * ROWS_PER_MESSAGE);
    const lost = await missing(devices);
    const seqOf = (m: string) => Number(m.split(':')[1]);
    const outside = lost.filter((m) => kill.unexplained([seqOf(m)]).length > 0);
    expect({ few: lost.length <= KNOWN_LOSS, outside }).toEqual({ few: true, outside: [] });
    if (lost.length > 0)
      console.warn(
        `nats-failover: nats-server lost ${lost.length} acknowledged reading(s), ` +
          `acknowledged ${lost.map((m) => `${m} at ${kill.fromKill(seqOf(m))} ms`).join(', ')} from the kill; ` +
            `allowed up to ${KNOWN_LOSS} from ${LOSS_BEFORE_KILL_MS} ms before it (see KNOWN_LOSS)`,
      );

    // Each partition stored its own devices, whole but for that loss: 0/2 across the failover, 1/2 on node 3
    // throughout.
    const perDevice = Math.ceil(TOTAL / PUBLISHERS);
    for (const share of shares) {
      const lostHere = lost.filter((m) => share.includes(m.split(':')[0]!)).length;
      expect(await stored(share)).toEqual({
        rows: (share.length * perDevice - lostHere) * ROWS_PER_MESSAGE, messages: share.length * perDevice - lostHere,
      });
    }
    expect(first.output()).toContain('failed over to another broker of MQTT_URL');
    expect(first.output()).toContain(`"to":"${n3.mqttUrl}"`);
    expect(second.output()).not.toContain('failed over');
    console.log(
      `nats-failover: ${TOTAL} acknowledged, ${all.messages} stored once (${all.rows} rows); partition ` +
        `0/2 ${shares[0]!.length} devices, 1/2 ${shares[1]!.length}`,
    );
  },
  180_000,
);

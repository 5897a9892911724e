/**
 * The baseline every hobby project starts with: subscribe, and for each message one transaction,
 * acknowledged after it commits. Validation is the shared contract and the SQL is ingest's own (a batch
 * of one message), so only the write strategy differs from ingest.
 * Run as its own process by the benchmark: DATABASE_URL and MQTT_URL in the environment.
 */
import mqtt from 'mqtt';
import { DEFAULT_LIMITS, INGEST_SUBSCRIPTION, parseReading, parseTopic } from '../shared/contract.js';
import { connect, disconnect } from '../shared/db.js';
import { foldSeries } from '../ingest/rows.js';
import { createBatchStore } from '../ingest/store.js';
import { BENCH_SPOOL_ID } from './bench-sql.js';

const db = connect(process.env.DATABASE_URL!, { poolSize: 1, applicationName: 'naive-subscriber' });
// One INSERT per message, as the naive subscriber people write does: never COPY.
const store = createBatchStore(db, { copy: false });
// A persistent session, as acknowledging after the commit implies: when it falls so far behind that the
// broker's drain timeout disconnects it (5 s without draining), its messages wait for it, not vanish.
const client = await mqtt.connectAsync(process.env.MQTT_URL!, { clientId: 'naive-subscriber', clean: false });

client.handleMessage = (packet, done) => {
  const topic = parseTopic(packet.topic);
  if (!topic.ok || topic.topic.kind !== 'reading') return done();
  const { device: topicDevice, sensor: topicSensor } = topic.topic;
  const parsed = parseReading(topicDevice, topicSensor, packet.payload as Buffer, new Date(), DEFAULT_LIMITS);
  if (!parsed.ok) return done();
  const { device, sensor, ts, metrics } = parsed.reading;
  const readings = metrics.map(({ metric, value }) => ({ ts, device, sensor, metric, value }));
  const batch = { readings, series: foldSeries(readings), devices: [], rejected: [] };
  store.write(batch, { worker: 'naive', spoolId: BENCH_SPOOL_ID, position: 0 }).then(() => done(), (err: Error) => {
    console.error(err.message);
    done();
  });
};
await client.subscribeAsync(INGEST_SUBSCRIPTION, { qos: 1 });
console.log('naive subscriber ready');
process.on('SIGTERM', () => {
  void client.endAsync().then(() => disconnect(db)).then(() => process.exit(0));
});

// @engine-independent: opens no database (jest.config.js)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALERT_TOPIC_ROOT, encodeReading, INGEST_SUBSCRIPTION, TOPIC_ROOT } from '../shared/contract.js';
import { PACKAGE_ROOT } from '../shared/paths.js';

/**
 * The Node-RED flows in docs/node-red/: every node type is one Node-RED ships (or, for the optional
 * dashboard flow, one of @flowfuse/node-red-dashboard, which its README names), every topic is one
 * pimonitor's contract defines, nothing secret is exported, and the function nodes do what they say
 * when run on messages as pimonitor publishes them.
 */

interface FlowNode {
  id: string; type: string; z?: string; wires?: string[][]; topic?: string; broker?: string; func?: string;
  outputs?: number; url?: string; [k: string]: unknown;
}
const load = (file: string): FlowNode[] =>
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'docs', 'node-red', file), 'utf8'));

/** Node-RED 4's own nodes (packages/node_modules/@node-red/nodes/core/*), and its config nodes. */
const CORE = [
  'tab', 'inject', 'debug', 'complete', 'catch', 'status', 'link in', 'link out', 'link call', 'comment', 'unknown',
  'junction', 'group',
  'function', 'switch', 'change', 'range', 'template', 'delay', 'trigger', 'exec', 'rbe', 'filter',
  'mqtt in', 'mqtt out', 'mqtt-broker', 'http in', 'http response', 'http request', 'http proxy', 'tls-config',
  'websocket in', 'websocket out', 'websocket-listener', 'websocket-client', 'tcp in', 'tcp out', 'tcp request',
  'udp in', 'udp out',
  'csv', 'html', 'json', 'xml', 'yaml', 'split', 'join', 'sort', 'batch', 'file', 'file in', 'watch',
];
/** @flowfuse/node-red-dashboard (Dashboard 2.0). */
const DASHBOARD_2 = [
  'ui-base', 'ui-theme', 'ui-page', 'ui-group', 'ui-chart', 'ui-gauge', 'ui-text', 'ui-table', 'ui-template',
  'ui-button', 'ui-notification', 'ui-control',
];
/** What the contract lets a subscriber read. */
const CONTRACT_FILTERS = [INGEST_SUBSCRIPTION, `${ALERT_TOPIC_ROOT}/#`];

function checkStructure(nodes: FlowNode[], allowed: string[]) {
  const ids = new Set(nodes.map((n) => n.id));
  expect(ids.size).toBe(nodes.length);
  for (const n of nodes) {
    expect({ id: n.id, type: allowed.includes(n.type) ? 'known' : n.type }).toEqual({ id: n.id, type: 'known' });
    if (n.z) expect(nodes.find((t) => t.id === n.z)?.type).toBe('tab');
    for (const target of (n.wires ?? []).flat()) expect(ids.has(target)).toBe(true);
    if (n.type === 'mqtt in' || n.type === 'mqtt out')
      expect(nodes.find((b) => b.id === n.broker)?.type).toBe('mqtt-broker');
    if (n.type === 'mqtt in') expect(CONTRACT_FILTERS).toContain(n.topic);
    // What a flow publishes must not land in pimonitor's own topics (ingest would store or reject it).
    if (n.type === 'mqtt out')
      expect(n.topic?.split('/')[0]).not.toMatch(new RegExp(`^(${TOPIC_ROOT}|pimonitor|homeassistant)$`));
    // Node-RED keeps credentials apart and never exports them; a flow file must not carry any.
    expect(Object.keys(n).filter((k) => /credentials|password|user(name)?$/i.test(k))).toEqual([]);
    if (n.type === 'function')
      expect(() => new Function('msg', 'node', 'context', 'flow', 'global', 'env', n.func!)).not.toThrow();
  }
}

test('the core flow uses only core nodes and contract topics, and exports no credentials', () => {
  checkStructure(load('pimonitor-flow.json'), CORE);
});

test('the dashboard flow uses core and Dashboard 2.0 nodes only, and its README names the requirement', () => {
  checkStructure(load('dashboard-flow.json'), [...CORE, ...DASHBOARD_2]);
  expect(readFileSync(join(PACKAGE_ROOT, 'docs', 'node-red', 'README.md'), 'utf8')).toContain(
    '@flowfuse/node-red-dashboard',
  );
});

/**
 * Runs a flow's function nodes the way Node-RED does (msg, node, context, flow; return a message, or
 * an array with one per output), following wires; other node types pass the message on. Returns what
 * reached the nodes of `collect` types.
 */
function runner(nodes: FlowNode[]) {
  const flow = new Map<string, unknown>();
  const contexts = new Map<string, Map<string, unknown>>();
  const reached: { type: string; id: string; msg: Record<string, unknown> }[] = [];
  const warnings: string[] = [];
  const send = (id: string, msg: Record<string, unknown>) => {
    const n = nodes.find((x) => x.id === id)!;
    if (n.type !== 'function') {
      reached.push({ type: n.type, id, msg });
      for (const next of (n.wires ?? []).flat()) send(next, structuredClone(msg));
      return;
    }
    const ctx = contexts.get(id) ?? new Map();
    contexts.set(id, ctx);
    const store = (m: Map<string, unknown>) => ({
      get: (k: string) => m.get(k), set: (k: string, v: unknown) => void m.set(k, v),
    });
    const out = new Function('msg', 'node', 'context', 'flow', n.func!)(
      msg, { warn: (w: string) => warnings.push(w) }, store(ctx), store(flow),
    );
    const outputs = Array.isArray(out) ? out : [out];
    outputs.forEach((m, i) => m && (n.wires?.[i] ?? []).forEach((next) => send(next, structuredClone(m))));
  };
  return { send, reached, warnings };
}

test(
  'the core flow keeps the latest readings and status, answers GET /pimonitor/latest and /alerts, and switches the ' +
    'fan with hysteresis',
  () => {
    const nodes = load('pimonitor-flow.json');
    const { send, reached, warnings } = runner(nodes);
    const readingsIn = nodes.find((n) => n.type === 'mqtt in' && n.topic === INGEST_SUBSCRIPTION)!;
    const alertsIn = nodes.find((n) => n.type === 'mqtt in' && n.topic === `${ALERT_TOPIC_ROOT}/#`)!;
    // As the mqtt in node with datatype auto-detect delivers them: JSON parsed, plain text as a string.
    const reading = (device: string, temperature: number) => ({
      topic: `home/${device}/dht22`,
      payload: JSON.parse(encodeReading({ temperature, humidity: 40 }, new Date('2026-11-25T12:00:00Z')).toString()),
    });
    for (const t of [25.5, 26.4, 26.8, 25.2, 24.9, 26.1]) send(readingsIn.id, reading('living-room', t));
    send(readingsIn.id, reading('attic', 31));
    send(readingsIn.id, { topic: 'home/attic/status', payload: 'offline' });
    send(readingsIn.id, { topic: 'home/attic/dht22', payload: 'not json' });
    expect(reached.filter((r) => r.type === 'mqtt out').map((r) => `${r.msg.topic} ${r.msg.payload}`)).toEqual([
      'cmnd/fan/POWER ON', 'cmnd/fan/POWER OFF', 'cmnd/fan/POWER ON',
    ]);
    expect(warnings).toEqual(['not a reading: home/attic/dht22']);

    send(alertsIn.id, {
      topic: 'pimonitor/alerts/hot/attic/dht22/temperature',
      payload: { rule: 'hot', device: 'attic', message: 'attic/dht22 temperature 31 °C above 30 °C for 5 min' },
    });
    send(alertsIn.id, {
      topic: 'pimonitor/alerts/freezing/cellar/dht22/temperature',
      payload: { rule: 'freezing', device: 'cellar', message: 'cold' },
    });
    send(alertsIn.id, { topic: 'pimonitor/alerts/freezing/cellar/dht22/temperature', payload: '' });

    const http = (url: string) => {
      const before = reached.length;
      send(nodes.find((n) => n.type === 'http in' && n.url === url)!.id, { req: {}, res: {} });
      return reached.slice(before).find((r) => r.type === 'http response')!.msg.payload;
    };
    expect(http('/pimonitor/latest')).toEqual([
      {
        device: 'attic', status: 'offline',
        sensors: { dht22: { temperature: 31, humidity: 40, ts: '2026-11-25T12:00:00.000Z' } },
      },
      {
        device: 'living-room', status: 'unknown',
        sensors: { dht22: { temperature: 26.1, humidity: 40, ts: '2026-11-25T12:00:00.000Z' } },
      },
    ]);
    expect(http('/pimonitor/alerts')).toEqual([
      { rule: 'hot', device: 'attic', message: 'attic/dht22 temperature 31 °C above 30 °C for 5 min' },
    ]);
  },
);

test('the dashboard flow turns readings into one chart point per metric, a line per device and sensor', () => {
  const nodes = load('dashboard-flow.json');
  const { send, reached } = runner(nodes);
  send(nodes.find((n) => n.type === 'mqtt in')!.id, {
    topic: 'home/attic/dht22', payload: { temperature: 21.5, humidity: 40, ts: '2026-11-25T12:00:00.000Z' },
  });
  send(nodes.find((n) => n.type === 'mqtt in')!.id, { topic: 'home/attic/status', payload: 'online' });
  expect(reached.filter((r) => r.type === 'ui-chart').map((r) => [r.id, r.msg])).toEqual([
    [
      'pimonitor.dash.temperature',
      { topic: 'attic/dht22', payload: { x: Date.parse('2026-11-25T12:00:00Z'), y: 21.5 } },
    ],
    ['pimonitor.dash.humidity', { topic: 'attic/dht22', payload: { x: Date.parse('2026-11-25T12:00:00Z'), y: 40 } }],
  ]);
});

// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { DEFAULT_LIMITS } from '../shared/contract.js';
import { decodeMessage } from '../shared/sources/decode.js';
import { parseSources } from '../shared/sources/spec.js';
import type { Source } from '../shared/sources/source.js';
import { FUZZ_SEED, fuzzRuns, hostilePayload } from './support/hostile.js';

// Property: a source's wildcards (ESPHome's +/status, Shelly's +/online …) never take a topic that is
// another's: Home Assistant's (its discovery prefix, whatever it is configured to), pimonitor's own
// trees, the broker's $SYS, the firmwares' roots (tele, stat, cmnd, tasmota, zigbee2mqtt), a custom
// source's root. Whatever the order of the sources and whatever the message, such a topic is read by
// its owner, or ignored with the owner named; never a device, a status or a rejection of another.

const WEATHER = {
  name: 'weather',
  topic: 'weather/{device}/{sensor}',
  availability: { topic: 'weather/{device}/lwt' },
};
const configs: Array<{ label: string; prefix?: string; sources: Source[] }> = ([
  ...['tasmota', 'zigbee2mqtt', 'esphome', 'shelly'].map((p) => ({ label: p, raw: p })),
  { label: 'all, wildcards first', raw: ['esphome', 'shelly', 'tasmota', 'zigbee2mqtt', WEATHER] },
  {
    label: 'all, discovery prefix hass',
    raw: ['shelly', 'esphome', WEATHER, 'zigbee2mqtt', 'tasmota'],
    prefix: 'hass',
  },
] as Array<{ label: string; raw: unknown; prefix?: string }>).map(({ label, raw, prefix }) => {
  const parsed = parseSources(raw, 'UTC', prefix);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return { label, prefix, sources: parsed.value };
});

/** Root → who owns it: a source's name, or a system pimonitor reads nothing of. */
const OWNED: ReadonlyArray<readonly [root: string, owner: string]> = [
  ['homeassistant', 'Home Assistant'], ['hass', 'Home Assistant (configured prefix)'],
  ['home', 'pimonitor'], ['pimonitor', 'pimonitor'], ['$SYS', 'broker'],
  ['tele', 'tasmota'], ['stat', 'tasmota'], ['cmnd', 'tasmota'], ['tasmota', 'tasmota'],
  ['zigbee2mqtt', 'zigbee2mqtt'], ['weather', 'weather'],
];
const level = fc.oneof(
  fc.constantFrom(
    'status', 'online', 'sensor', 'binary_sensor', 'state', 'events', 'rpc', 'temperature:0', 'switch:0', 'SENSOR',
    'LWT', 'availability', 'lwt', 'bridge', 'porch',
  ),
  fc.stringMatching(/^[A-Za-z0-9_ -]{1,10}$/),
);
const ownedTopic = fc
  .tuple(fc.constantFrom(...OWNED), fc.array(level, { minLength: 1, maxLength: 4 }))
  .map(([[root, owner], rest]) => ({ topic: [root, ...rest].join('/'), owner, root }));
const payload = fc.oneof(
  fc.constantFrom(
    'online', 'offline', 'Online', 'Offline', 'true', 'false', '21.5', 'ON', '{"state":"online"}',
    '{"id":0,"tC":21.5,"rh":40}', '{"temperature":21,"humidity":40}',
    '{"Time":"2026-11-25T11:00:00","AM2301":{"Temperature":20}}',
    '{"method":"NotifyStatus","params":{"ts":1795600800,"temperature:0":{"tC":20}}}',
  ).map((s) => Buffer.from(s)),
  hostilePayload,
);
const at = new Date('2026-11-25T10:00:05Z');

test('no source decodes a topic of Home Assistant, pimonitor, the broker, another preset or another source', () => {
  fc.assert(
    fc.property(fc.constantFrom(...configs), ownedTopic, payload, (config, { topic, owner, root }, body) => {
      const { sources, prefix } = config;
      const d = decodeMessage(sources, topic, body, at, DEFAULT_LIMITS);
      const ownerConfigured = sources.some((s) => s.name === owner);
      if ('kind' in d && d.kind === 'ignored' && d.source !== owner) {
        // Left alone, and the reason says whose it is (a prefix that is not configured is anybody's).
        const notADevice = new RegExp(
          `^${root.replace('$', '\\$')}/ is .* topic tree, not a device of the ${d.source} source$`,
        );
        if (root !== 'hass' || prefix === 'hass') expect(d.reason).toMatch(notADevice);
        return;
      }
      if (root === 'hass' && prefix !== 'hass') return; // not Home Assistant's here: an ordinary device name
      // Anything else is the owner's reading, status or rejection, or the contract's (home/…, or no source matched).
      expect([owner, 'pimonitor']).toContain(d.source);
      if (d.source === 'pimonitor' && !ownerConfigured && !('ok' in d)) expect(root).toBe('home');
    }),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(3_000) },
  );
});

test(
  'a device under a name of its own is still read: ESPHome\'s and Shelly\'s wildcards are narrowed, not closed',
  () => {
    const [all] = configs.slice(-2);
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/).filter((n) => !OWNED.some(([root]) => root === n));
    fc.assert(
      fc.property(name, (device) => {
        expect(decodeMessage(all!.sources, `${device}/status`, Buffer.from('online'), at, DEFAULT_LIMITS))
          .toEqual({ kind: 'status', source: 'esphome', device, status: 'online' });
        expect(decodeMessage(all!.sources, `${device}/online`, Buffer.from('false'), at, DEFAULT_LIMITS))
          .toEqual({ kind: 'status', source: 'shelly', device, status: 'offline' });
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(500) },
    );
  },
);

test('Home Assistant\'s birth message is not an ESPHome node; its owner is named', () => {
  const [esphome] = configs.filter((c) => c.label === 'esphome');
  expect(decodeMessage(esphome!.sources, 'homeassistant/status', Buffer.from('offline'), at, DEFAULT_LIMITS)).toEqual({
    kind: 'ignored',
    source: 'esphome',
    reason: "homeassistant/ is Home Assistant's topic tree, not a device of the esphome source",
  });
});

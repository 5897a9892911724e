import fc from 'fast-check';
import type { ModelRoute, ModelRule } from './alerts-model.js';

/**
 * The histories test/alerts-model.test.ts runs through the alerts engine and store: one step at a time
 * (live readings, bursts of past readings, late ones, online/offline, clock ticks, restarts with rules
 * kept, removed or renamed), the random scenarios of rules, routes and steps, the steps that end every
 * history, and the counterexamples found so far.
 */

export const SEC = 1000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;
export const DEVICES = ['d0', 'd1'];

export type Step =
  | { op: 'live'; device: number; value: number }
  | { op: 'burst'; device: number; values: number[]; lagMs: number; spacingMs: number }
  | { op: 'late'; device: number; value: number; agoMs: number }
  | { op: 'status'; device: number; online: boolean }
  | { op: 'tick'; ms: number }
  | { op: 'restart'; change: 'same' | 'remove' | 'rename'; which: number };

// 20: below every clear; 29: between clear 28 and above 30 (carries on, starts nothing); 31: above.
const value = fc.constantFrom(20, 29, 31);
const device = fc.nat(DEVICES.length - 1);
const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('live' as const), device, value }), weight: 6 },
  {
    arbitrary: fc.record({
      op: fc.constant('burst' as const), device, values: fc.array(value, { minLength: 1, maxLength: 6 }),
      lagMs: fc.constantFrom(0, 90 * SEC, 2 * HOUR), spacingMs: fc.constantFrom(30 * SEC, 5 * MIN),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ op: fc.constant('late' as const), device, value, agoMs: fc.constantFrom(SEC, 5 * MIN) }),
    weight: 1,
  },
  { arbitrary: fc.record({ op: fc.constant('status' as const), device, online: fc.boolean() }), weight: 2 },
  {
    arbitrary: fc.record({
      op: fc.constant('tick' as const), ms: fc.constantFrom(SEC, 6 * SEC, MIN, 3 * MIN, 15 * MIN, 3 * HOUR),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('restart' as const),
      change: fc.constantFrom('same' as const, 'remove' as const, 'rename' as const), which: fc.nat(1),
    }),
    weight: 1,
  },
);
const ruleArb = fc.record({
  clear: fc.constantFrom(30, 28), forMs: fc.constantFrom(0, MIN, 10 * MIN),
  keepFiringForMs: fc.constantFrom(0, 2 * MIN),
  severity: fc.constantFrom('warning' as const, 'critical' as const),
});
const routeArb = fc.record({
  mqtt: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }),
  sendResolved: fc.boolean(), groupWaitMs: fc.constantFrom(0, 30 * SEC),
  criticalOnly: fc.oneof({ arbitrary: fc.constant(false), weight: 2 }, { arbitrary: fc.constant(true), weight: 1 }),
});
export const scenario = fc.record({
  rules: fc
    .array(ruleArb, { minLength: 1, maxLength: 2 })
    .map((rs) => rs.map((r, i): ModelRule => ({ name: 'ab'[i]!, above: 30, ...r }))),
  routes: fc.array(routeArb, { minLength: 2, maxLength: 3 }).map((rs) => rs.map((r, i): ModelRoute => ({
    name: `r${i}`, mqtt: r.mqtt, sendResolved: r.sendResolved, groupWaitMs: r.groupWaitMs,
    severities: r.criticalOnly ? ['critical'] : ['warning', 'critical'],
  }))),
  steps: fc.array(step, { minLength: 3, maxLength: 25 }),
});

/** After the steps: every device online and back to normal, the clock past every keepFiringFor and group wait. */
export const ENDING: Step[] = [
  { op: 'tick', ms: 6 * SEC },
  ...DEVICES.map((_, device): Step => ({ op: 'status', device, online: true })),
  ...DEVICES.map((_, device): Step => ({ op: 'live', device, value: 20 })),
  { op: 'tick', ms: 3 * MIN },
  { op: 'tick', ms: MIN },
];

const rule = (r: Partial<ModelRule>): ModelRule => ({
  name: 'a', above: 30, clear: 30, forMs: 0, keepFiringForMs: 0, severity: 'warning', ...r,
});
const hooks = (sendResolved: boolean): ModelRoute[] =>
  ['r0', 'r1'].map((name) => ({
    name, mqtt: false, sendResolved, groupWaitMs: 0, severities: ['warning', 'critical'],
  }));
/** The counterexamples this test found (minimal; the first four fixed in e0392b3), run first every time. */
export const FOUND: Array<[{ rules: ModelRule[]; routes: ModelRoute[]; steps: Step[] }]> = [
  // Live 20 at T; restart; 31 at T-20s: late, yet it fired and was notified.
  [
    {
      rules: [rule({})], routes: hooks(false),
      steps: [
        { op: 'live', device: 0, value: 20 }, { op: 'restart', change: 'same', which: 0 },
        { op: 'burst', device: 0, values: [31, 20], lagMs: 0, spacingMs: 30 * SEC },
      ],
    },
  ],
  // for 10m: 31 at T and at T+3m; restart; 20 at T+2m59s (late) dropped the pending: no firing at T+10m.
  [
    {
      rules: [rule({ forMs: 10 * MIN })], routes: hooks(true),
      steps: [
        { op: 'live', device: 0, value: 31 }, { op: 'tick', ms: 3 * MIN }, { op: 'live', device: 0, value: 31 },
        { op: 'restart', change: 'same', which: 0 }, { op: 'late', device: 0, value: 20, agoMs: SEC },
        { op: 'tick', ms: 15 * MIN },
      ],
    },
  ],
  // Fired while offline; restart; a backlog; online: notified only once the backlog had settled.
  [
    {
      rules: [rule({})], routes: hooks(false),
      steps: [
        { op: 'status', device: 0, online: false }, { op: 'live', device: 0, value: 31 }, { op: 'tick', ms: 3 * HOUR },
        { op: 'restart', change: 'same', which: 0 },
        { op: 'burst', device: 0, values: [31], lagMs: 2 * HOUR, spacingMs: 30 * SEC },
        { op: 'status', device: 0, online: true },
      ],
    },
  ],
  // Fired by a backlog; offline; caught up (live 31); a new backlog; online: the same.
  [
    {
      rules: [rule({})], routes: hooks(true),
      steps: [
        { op: 'burst', device: 0, values: [31], lagMs: 2 * HOUR, spacingMs: 30 * SEC },
        { op: 'status', device: 0, online: false }, { op: 'live', device: 0, value: 31 }, { op: 'tick', ms: 3 * MIN },
        { op: 'burst', device: 0, values: [31], lagMs: 90 * SEC, spacingMs: 30 * SEC },
        { op: 'status', device: 0, online: true },
      ],
    },
  ],
  // Fired, held by a 30 s group wait, the rule removed at a restart 10 s later: the route was to hear of
  // it, so it gets one message, the resolution ('rule removed'), as when a held firing's condition ends.
  // (Before: the held firing was given up and the route heard nothing.)
  [
    {
      rules: [rule({})],
      routes: [
        { name: 'r0', mqtt: false, sendResolved: true, groupWaitMs: 30 * SEC, severities: ['warning', 'critical'] },
        { name: 'r1', mqtt: true, sendResolved: false, groupWaitMs: 30 * SEC, severities: ['warning', 'critical'] },
      ],
      steps: [
        { op: 'live', device: 0, value: 31 }, { op: 'restart', change: 'remove', which: 0 }, { op: 'tick', ms: MIN },
      ],
    },
  ],
  // Fired and over within a 30 s group wait: an MQTT route without sendResolved retains nothing (before:
  // its firing was published, retained, at the end of the wait and never cleared). Review of 867ffb8.
  [
    {
      rules: [rule({})],
      routes: [
        { name: 'r0', mqtt: true, sendResolved: false, groupWaitMs: 30 * SEC, severities: ['warning', 'critical'] },
      ],
      steps: [
        { op: 'live', device: 0, value: 31 }, { op: 'live', device: 0, value: 20 }, { op: 'tick', ms: MIN },
      ],
    },
  ],
  // Fired and retained on an MQTT route without sendResolved, then its rule removed: the retained
  // message is cleared all the same (issue 24, item 3); before, it stayed for a rule that is gone.
  [
    {
      rules: [rule({})],
      routes: [{ name: 'r0', mqtt: true, sendResolved: false, groupWaitMs: 0, severities: ['warning', 'critical'] }],
      steps: [
        { op: 'live', device: 0, value: 31 }, { op: 'tick', ms: MIN }, { op: 'restart', change: 'remove', which: 0 },
        { op: 'tick', ms: MIN },
      ],
    },
  ],
];

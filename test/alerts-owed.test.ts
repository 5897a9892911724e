// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { decideResolution, deliveryOf, type FiringDelivery, type FiringRecord } from '../alerts/owed.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

// Issue 24, item 2: is a resolution owed to a route, from the record of what was sent to it. Pure.

const T = 1_000_000;
const f = (delivery: FiringDelivery, dueAt = T): FiringRecord => ({ delivery, dueAt });
const on = { sendResolved: true };
const off = { sendResolved: false };

test.each<[string, { sendResolved: boolean; type?: string }, FiringRecord[], ReturnType<typeof decideResolution>]>([
  [
    'no firing notification (fired while inhibited, resolved before its device came back)', on, [],
    { resolve: false, notBefore: null, withdraw: false },
  ],
  ['a firing sent', on, [f('sent')], { resolve: true, notBefore: null, withdraw: false }],
  [
    'a firing claimed and never marked (a crash while sending): possibly sent', on, [f('claimed')],
    { resolve: true, notBefore: null, withdraw: true },
  ],
  [
    'a firing sent and a repeat held: the repeat is withdrawn', on, [f('sent'), f('held', T + 5)],
    { resolve: true, notBefore: null, withdraw: true },
  ],
  [
    'a firing sent and a repeat given up', on, [f('sent'), f('gaveUp')],
    { resolve: true, notBefore: null, withdraw: false },
  ],
  [
    'a firing held by quiet hours: one message, the resolution, when they end', on, [f('held', T + 9)],
    { resolve: true, notBefore: T + 9, withdraw: true },
  ],
  [
    'a firing waiting for a retry: the same', on, [f('held', T + 3), f('gaveUp')],
    { resolve: true, notBefore: T + 3, withdraw: true },
  ],
  [
    'only given-up firings: never out, nothing owed', on, [f('gaveUp'), f('gaveUp')],
    { resolve: false, notBefore: null, withdraw: false },
  ],
  [
    'a route without sendResolved, firing sent: no resolution, held repeat withdrawn', off, [f('sent'), f('held')],
    { resolve: false, notBefore: null, withdraw: true },
  ],
  [
    'a route without sendResolved, firing held: it still goes out, once', off, [f('held', T + 9)],
    { resolve: false, notBefore: null, withdraw: false },
  ],
  // Review of 867ffb8: a retained firing published at 13:00 for an alert over at 12:20 would never be cleared.
  [
    'an mqtt route without sendResolved, firing held: withdrawn, nothing retained for an episode already over',
    { ...off, type: 'mqtt' }, [f('held', T + 9)], { resolve: false, notBefore: null, withdraw: true },
  ],
  ['a route without sendResolved, nothing', off, [], { resolve: false, notBefore: null, withdraw: false }],
])('%s', (_, route, firings, expected) => {
  expect(decideResolution(route, firings)).toEqual(expected);
});

const row = (r: Partial<Parameters<typeof deliveryOf>[0]>) =>
  deliveryOf({ sent_at: null, attempts: 0, last_error: null, gave_up_at: null, ...r });
test.each<[string, FiringDelivery, Partial<Parameters<typeof deliveryOf>[0]>]>([
  ['queued', 'held', {}],
  ['sent', 'sent', { sent_at: new Date(T), attempts: 1 }],
  [
    'sent, though given up meanwhile (withdrawn while its sender was at work)', 'sent',
    { sent_at: new Date(T), attempts: 1, gave_up_at: new Date(T) },
  ],
  ['leased, no error: possibly sent', 'claimed', { attempts: 1 }],
  ['failed, retrying', 'held', { attempts: 2, last_error: 'HTTP 500' }],
  ['given up', 'gaveUp', { attempts: 5, last_error: 'HTTP 500', gave_up_at: new Date(T) }],
])('a notification %s is %s', (_, expected, r) => {
  expect(row(r)).toBe(expected);
});

/**
 * A small outbox for one route and one alert's episodes: each episode queues firings (the first and
 * repeats), each of which the sender sends, claims and dies, or gives up, or leaves held; then the
 * alert resolves and the decision is applied; then everything still held goes out (after it).
 */
test(
  'random episodes per route: one resolution exactly when a firing went out, never a firing after its resolution ' +
    '(property)',
  () => {
    const fate = fc.constantFrom<FiringDelivery>('sent', 'claimed', 'held', 'gaveUp');
    const episode = fc.array(fate, { minLength: 0, maxLength: 4 });
    fc.assert(fc.property(fc.boolean(), fc.array(episode, { minLength: 1, maxLength: 6 }), (sendResolved, episodes) => {
      for (const fates of episodes) {
        const firings = fates.map((d, i) => f(d, T + i));
        const decision = decideResolution({ sendResolved }, firings);
        const out = fates.some((d) => d === 'sent' || d === 'claimed');
        const held = fates.includes('held');
        // What the route receives: resolutions at most one; late firings are held (or claimed, resent
        // when their lease ends) firings not withdrawn, going out after the resolution.
        const resolutions = decision.resolve ? 1 : 0;
        const late = decision.withdraw ? 0 : fates.filter((d) => d === 'held' || d === 'claimed').length;
        expect(resolutions).toBe(sendResolved && (out || held) ? 1 : 0);
        if (out) expect(late).toBe(0);
        if (resolutions === 1) expect(late).toBe(0);
        if (!out && !held) expect(resolutions).toBe(0);
        // Told of the episode: by a firing (before or after) or by the resolution standing for both.
        if (held || out) expect(out || late > 0 || resolutions === 1).toBe(true);
      }
    }), { seed: FUZZ_SEED, numRuns: fuzzRuns(200) });
  },
);

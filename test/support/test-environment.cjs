// Jest's node environment, plus two duties when a test file ends, after the file's own afterAll hooks:
// - it kills the children spawnLogged started (test/support/processes.ts) that are still running: jest
//   abandons a test that times out where it stands, past its `finally`;
// - it says, in one line, what the file left running (sockets, servers, timers that hold the process), which
//   would keep a jest worker from exiting ("A worker process has failed to exit gracefully").
//   PIMONITOR_TEST_LEAKS=1 adds where each timer was made.
const { createHook } = require('node:async_hooks');
const { TestEnvironment } = require('jest-environment-node');

const RUNNING_CHILDREN = Symbol.for('pimonitor.test.runningChildren');
const SETTLE_MS = 2000;
const traceTimers = process.env.PIMONITOR_TEST_LEAKS === '1';

/** How many of each kind of resource holds the process open: { Timeout: 3, TCPSocketWrap: 1 }. */
function resourceCounts() {
  const counts = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

function grown(before, after) {
  const more = (kind) => after[kind] - (before[kind] ?? 0);
  return Object.keys(after).filter((kind) => more(kind) > 0).map((kind) => `${more(kind)} ${kind}`);
}

class PimonitorTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
  }

  async setup() {
    this.before = resourceCounts();
    if (traceTimers) {
      this.timers = new Map();
      this.hook = createHook({
        init: (id, type, _trigger, resource) => {
          // The first frames are this hook's and Node's timer internals.
          if (type === 'Timeout') this.timers.set(id, { resource, stack: new Error().stack.split('\n').slice(6, 14) });
        },
        destroy: (id) => this.timers.delete(id),
      }).enable();
    }
    await super.setup();
  }

  async teardown() {
    const running = this.global[RUNNING_CHILDREN];
    for (const child of running ?? []) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await super.teardown();
    await this.reportLeftovers();
  }

  /** Waits up to SETTLE_MS for what is closing to close, then names what is still left. */
  async reportLeftovers() {
    const deadline = Date.now() + SETTLE_MS;
    const left = () => [...grown(this.before, resourceCounts()), ...this.liveTimers()];
    while (left().length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100).unref());
    }
    this.hook?.disable();
    const kinds = grown(this.before, resourceCounts());
    const timers = this.liveTimers();
    if (kinds.length === 0 && timers.length === 0) return;
    const file = this.testPath.slice(process.cwd().length + 1);
    const lines = [`${file} left running ${SETTLE_MS / 1000} s after it ended: ${kinds.join(', ') || 'timers'}`];
    if (this.timers) lines.push(...timers);
    else lines.push(`  PIMONITOR_TEST_LEAKS=1 NODE_OPTIONS=--experimental-vm-modules npx jest ${file} says where`
      + ' its timers were made');
    process.stderr.write(`${lines.join('\n')}\n`);
  }

  /** With PIMONITOR_TEST_LEAKS=1, each timer the file made that still holds the process, and where it was made. */
  liveTimers() {
    return [...(this.timers?.values() ?? [])]
      .filter(({ resource }) => resource.hasRef() && !resource._destroyed)
      .map(({ resource, stack }) => `  a ${resource._idleTimeout} ms timer, made\n${stack.join('\n')}`);
  }
}

module.exports = PimonitorTestEnvironment;

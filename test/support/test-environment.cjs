// Jest's node environment, holding each test file to "every test closes what it opened":
// - a test that fails (a timeout included: jest leaves it where it stands, past its `finally`) has the processes
//   it started ended before the file's afterEach and afterAll hooks run, so they clean up against no live child;
// - when the file ends, after its afterAll hooks, the processes still running are ended too;
// - then one line on stderr names what the file left holding the process two seconds later (by handle type:
//   TCPSocketWrap, TCPServerWrap, Timeout…; unref'd ones do not hold it and are not named), which would keep a
//   jest worker from exiting. PIMONITOR_TEST_LEAKS=1 adds where each leftover timer was made.
// The processes are those started through spawnLogged or killWhenFileEnds (test/support/processes.ts).
const { createHook } = require('node:async_hooks');
const { relative } = require('node:path');
const { TestEnvironment } = require('jest-environment-node');

const RUNNING_CHILDREN = Symbol.for('pimonitor.test.runningChildren');
const SETTLE_MS = 2000;
// `pimonitor up` stops its detached children (ingest, alerts, reports) on SIGTERM; SIGKILL would orphan them.
const TERM_GRACE_MS = 3000;
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

const isRunning = (child) => child.exitCode === null && child.signalCode === null;

/** SIGTERM, then SIGKILL to those still running after TERM_GRACE_MS. */
async function end(children) {
  const running = children.filter(isRunning);
  const exited = (child) => new Promise((resolve) => child.once('exit', resolve));
  const all = Promise.all(running.map(exited));
  for (const child of running) child.kill('SIGTERM');
  let timer;
  await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, TERM_GRACE_MS)))]);
  clearTimeout(timer);
  for (const child of running.filter(isRunning)) child.kill('SIGKILL');
}

class PimonitorTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.file = relative(config.projectConfig.rootDir, context.testPath);
  }

  running() {
    return [...(this.global?.[RUNNING_CHILDREN] ?? [])];
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

  async handleTestEvent(event) {
    if (event.name === 'test_fn_start') this.beforeTest = new Set(this.running());
    if (event.name === 'test_fn_failure') await end(this.running().filter((child) => !this.beforeTest?.has(child)));
  }

  async teardown() {
    try {
      await end(this.running());
      await super.teardown();
      await this.reportLeftovers();
    } finally {
      this.hook?.disable();
    }
  }

  /** Waits up to SETTLE_MS for what is closing to close, then names what is still left. */
  async reportLeftovers() {
    const deadline = Date.now() + SETTLE_MS;
    const left = () => [...grown(this.before, resourceCounts()), ...this.liveTimers()];
    while (left().length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100).unref());
    }
    const kinds = grown(this.before, resourceCounts());
    const timers = this.liveTimers();
    if (kinds.length === 0 && timers.length === 0) return;
    const lines = [`${this.file} left running ${SETTLE_MS / 1000} s after it ended: ${kinds.join(', ') || 'timers'}`];
    if (this.timers) lines.push(...timers);
    else lines.push(`  PIMONITOR_TEST_LEAKS=1 NODE_OPTIONS=--experimental-vm-modules npx jest ${this.file} says where`
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

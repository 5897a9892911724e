// Jest's node environment, plus one duty when a test file ends: it kills the children spawnLogged started
// (test/support/processes.ts) that are still running. Its teardown runs after the file's own afterAll hooks,
// so a file that stops its processes gracefully still does; this only catches what a timed-out test left.
const { TestEnvironment } = require('jest-environment-node');

const RUNNING_CHILDREN = Symbol.for('pimonitor.test.runningChildren');

class PimonitorTestEnvironment extends TestEnvironment {
  async teardown() {
    const running = this.global[RUNNING_CHILDREN];
    for (const child of running ?? []) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await super.teardown();
  }
}

module.exports = PimonitorTestEnvironment;

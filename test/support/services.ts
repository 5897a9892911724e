import { connect } from 'node:net';

/**
 * Tests that need a service this machine may not run (Redis, Mosquitto, root for network namespaces)
 * skip with one line saying what to start, so `npm test` passes on a machine with only Node; with
 * CI=true a missing service fails instead, because CI promises to start it.
 */
export const inCi = process.env.CI === 'true';

function reachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * `test` when the problem is null, else `test.skip` after saying why (or an error, in CI). The line goes
 * to stderr itself: jest drops a console.warn of a file whose tests are all skipped when it runs
 * several files (workers), so `npm test` would skip without a word.
 */
export function testWhen(problem: string | null, what: string, ci = inCi): jest.It {
  if (!problem) return test;
  if (ci) throw new Error(`${what}: ${problem} (CI=true requires it)`);
  process.stderr.write(`skipping ${what}: ${problem}\n`);
  return test.skip;
}

export async function needsRedis(what: string): Promise<jest.It> {
  const ok = await reachable('127.0.0.1', 6379);
  return testWhen(
    ok ? null : 'Redis is not running on 127.0.0.1:6379; start it with `redis-server --daemonize yes`', what,
  );
}

export async function needsMosquitto(what: string): Promise<jest.It> {
  const ok = await reachable('127.0.0.1', 1883);
  return testWhen(ok ? null : 'Mosquitto is not running on 127.0.0.1:1883; start it with `mosquitto -d`', what);
}

/** Debian's Chromium, which the browser tests drive with playwright-core (CHROMIUM_PATH overrides). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function needsChromium(what: string): Promise<jest.It> {
  const { existsSync } = await import('node:fs');
  return testWhen(
    existsSync(CHROMIUM_PATH)
      ? null
      : `${CHROMIUM_PATH} is missing; install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`,
    what,
  );
}

/** Chromium as the browser tests start it: headless, and quiet on a machine without a network. */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    timeout: 30_000,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
}

/** Deletes every key of a test's Redis namespace (a no-op when Redis is not there). */
export async function dropRedisKeys(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/** Debian's nats-server (2.9), which the NATS tests start on their own ports (NATS_SERVER overrides its path). */
export async function needsNats(what: string): Promise<jest.It> {
  const { existsSync } = await import('node:fs');
  const path = process.env.NATS_SERVER ?? '/usr/sbin/nats-server';
  return testWhen(
    existsSync(path)
      ? null
      : `${path} is missing; install it with \`apt-get install -y nats-server\` (or set NATS_SERVER)`,
    what,
  );
}

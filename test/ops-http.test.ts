// @engine-independent: opens no database (jest.config.js)
import { request } from 'node:http';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { startOpsServer, type OpsServer } from '../shared/ops-http.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

let ops: OpsServer;
let hang = false;
beforeAll(async () => {
  // A health check that hangs when told to, as a check on a silent database would.
  const health = {
    check: () => (hang ? new Promise<Record<string, boolean>>(() => {}) : Promise.resolve({ database: true })),
  };
  ops = await startOpsServer(new Registry(), health, '127.0.0.1', 0, 'TEST_PORT');
});
afterAll(async () => ops.stop());

const send = (method: string, path: string) =>
  new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: ops.port, method, path }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });

test('any method and path gets an answer from the set it documents, and the server stays up', async () => {
  const path = fc.oneof(
    fc.constantFrom('/metrics', '/healthz', '/healthz?x=1', '/', '//', '/metrics/../healthz'), fc.webPath(),
    fc.string({ maxLength: 50 }).map((s) => `/${encodeURIComponent(s)}`),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'), path,
      async (method, p) => {
        expect([200, 404, 405]).toContain(await send(method, p || '/'));
      },
    ),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(200) },
  );
  expect(await send('GET', '/healthz')).toBe(200);
});

test('/healthz answers 503 within a second when a check hangs', async () => {
  hang = true;
  const started = Date.now();
  expect(await send('GET', '/healthz')).toBe(503);
  expect(Date.now() - started).toBeLessThan(1000);
  hang = false;
});

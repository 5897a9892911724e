import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, disconnect } from '../shared/db.js';
import { WebServer } from '../web/server.js';
import { runCli } from './helpers/cli.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { startProxy, type CuttableProxy } from './helpers/proxy.js';
import { writeBatch } from './helpers/storage.js';

// Issue 26, item 6: a download that fails midway fails visibly. The database is cut off, through a TCP
// proxy in front of it (PGlite or PostgreSQL alike), the moment the second page of an export is asked
// for: after the first page (the first 15 minutes, raw) was written.

let t: TestDatabase;
const FROM = Date.UTC(2026, 2, 10, 8);
const TO = FROM + 2 * 3_600_000;
const PAGE1 = 15; // one reading a minute; the first raw window is 15 minutes (storage/export.ts)

beforeAll(async () => {
  t = await createMigratedTestDatabase();
  const samples = Array.from({ length: 120 }, (_, i) => ({
    device: 'attic',
    ts: new Date(FROM + i * 60_000),
    value: 20 + i / 100,
  }));
  await writeBatch(t.db, samples);
}, 60_000);
afterAll(async () => t?.stop());

async function proxyCuttingAtPage2(): Promise<CuttableProxy> {
  const target = new URL(t.url);
  const proxy = await startProxy(target.hostname, Number(target.port || 5432));
  let pages = 0;
  // Each page is one query whose text (in its Parse message) names the export's columns.
  proxy.cutOn((chunk) => chunk.includes('AS time, device, sensor') && ++pages === 2);
  return proxy;
}

/** GET to the end of the answer, or until the connection goes: status, body, and whether it was whole. */
function download(url: string) {
  return new Promise<{ status: number; body: string; complete: boolean }>((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', () => {}); // "aborted": seen below as an incomplete message
      res.on('close', () => resolve({ status: res.statusCode!, body, complete: res.complete }));
    }).on('error', reject);
  });
}

test(
  '/api/history.csv: the database fails after the first page: the connection is aborted, not ended as if whole, ' +
    'and the failure logged once',
  async () => {
    const proxy = await proxyCuttingAtPage2();
    const db = connect(proxy.url(t.url), { poolSize: 2, queryTimeoutMs: 5000, connectTimeoutMs: 2000 });
    const logged: { err: string; path: string; aborted: boolean }[] = [];
    const server = new WebServer({
      db,
      host: '127.0.0.1',
      port: 0,
      onError: (err, path, aborted) => logged.push({ err: (err as Error).message, path, aborted }),
    });
    try {
      await server.start();
      const query = `device=attic&sensor=dht22&from=${FROM}&to=${TO}`;
      const got = await download(`http://127.0.0.1:${server.port}/api/history.csv?${query}`);
      expect(got.status).toBe(200);
      const lines = got.body.split('\r\n').filter(Boolean);
      expect(lines[0]).toBe('time,device,sensor,metric,unit,value');
      expect(lines).toHaveLength(1 + PAGE1);
      expect(got.complete).toBe(false);
      expect(logged).toEqual([
        {
          err: expect.stringMatching(/the database failed after 15 rows, at 2026-03-10T08:15:00.000Z: /),
          path: expect.stringContaining('/api/history.csv?'),
          aborted: true,
        },
      ]);
    } finally {
      await server.stop();
      await disconnect(db);
      await proxy.stop();
    }
  },
  30_000,
);

test(
  'pimonitor export: the database fails after the first page: exit 1, says how far it got and where to resume; ' +
    'the file holds whole rows',
  async () => {
    const proxy = await proxyCuttingAtPage2();
    const file = join(mkdtempSync(join(tmpdir(), 'pimonitor-export-')), 'attic.csv');
    try {
      const args = [
        'export',
        '--from',
        new Date(FROM).toISOString(),
        '--to',
        new Date(TO).toISOString(),
        '--tz',
        'UTC',
        '--out',
        file,
      ];
      const run = await runCli(args, { DATABASE_URL: proxy.url(t.url), TZ: 'UTC' });
      expect({ code: run.code, output: run.output.trim() }).toEqual({
        code: 1,
        output: expect.stringMatching(
          new RegExp(
            '^pimonitor: export incomplete: the database failed after 15 rows \\(.+\\); ' +
              `${file} has the rows before 2026-03-10T08:15:00Z only; the rest: --from 2026-03-10T08:15:00Z$`,
          ),
        ),
      });
      const lines = readFileSync(file, 'utf8').split('\r\n').filter(Boolean);
      expect(lines).toHaveLength(1 + PAGE1);
      expect(lines.at(-1)).toBe('2026-03-10T08:14:00Z,attic,dht22,temperature,°C,20.14');
    } finally {
      await proxy.stop();
    }
  },
  30_000,
);

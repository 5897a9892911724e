// @engine-independent: opens no database (jest.config.js)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../broker/broker.js';
import { createLogger } from '../shared/log.js';
import { startCli } from './helpers/cli.js';
import { freePortOnLoopback } from './support/ports.js';

// Issue 29 with issue 25, item 6: with MQTT_URL a list, a node's link problem names the broker of
// the list that failed, not the whole list as if it were one URL; connected names where it is.

test(
  'a node given a gone broker then a live one says which one listens to nothing, and which it connected to',
  async () => {
    const broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
    const gone = `mqtt://127.0.0.1:${await freePortOnLoopback()}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'pimonitor-data-'));
    const config = join(dataDir, 'node.json');
    writeFileSync(
      config,
      JSON.stringify({
        mqtt: { url: [gone, broker.url] },
        node: { device: 'listed', intervalMs: 500, clockSyncFile: '', simulate: true },
      }),
    );
    const node = startCli(['node', '--config', config], { DATA_DIR: dataDir });
    try {
      await node.waitFor('connected to the broker', 20_000);
      const lines = node.output().split('\n');
      const problem = lines.find((l) => l.includes('cannot connect to the broker'))!;
      expect(JSON.parse(problem)).toMatchObject({ cause: `nothing listens at ${gone} (ECONNREFUSED)`, broker: gone });
      expect(JSON.parse(lines.find((l) => l.includes('connected to the broker'))!)).toMatchObject({
        broker: broker.url,
      });
    } finally {
      node.child.kill('SIGTERM');
      expect((await node.exited).code).toBe(0);
      await broker.stop();
    }
  },
  40_000,
);

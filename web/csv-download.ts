import type { ServerResponse } from 'node:http';
import type { Db } from '../shared/db.js';
import { exportRows } from '../storage/export.js';
import { serializer } from '../storage/export-format.js';
import { tierFor, type HistoryQuery } from './params.js';

/**
 * /api/history.csv: the history as CSV, through `pimonitor export`'s code path (time windows, the same
 * columns), streamed with backpressure. A download the browser cancelled stops the export. A database
 * failure after the first row throws with the headers sent (the caller cuts the connection).
 */
export async function streamHistoryCsv(db: Db, res: ServerResponse, history: HistoryQuery): Promise<void> {
  const every = tierFor(history.from, history.to);
  const format = serializer('csv', every, 'UTC');
  const metricPart = history.metric ? `-${history.metric}` : '';
  const name = `${history.device}-${history.sensor}${metricPart}-${history.from.toISOString().slice(0, 10)}.csv`;
  res.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}"`,
    'cache-control': 'no-store',
  });
  res.write(format.header());
  const query = {
    from: history.from, to: history.to, every, devices: [history.device], sensors: [history.sensor],
    ...(history.metric ? { metrics: [history.metric] } : {}),
  };
  for await (const rows of exportRows(db, query)) {
    // Backpressure, and a download the browser cancelled stops the export instead of waiting for ever.
    if (!res.write(format.page(rows))) await drainedOrClosed(res);
    if (res.destroyed) return;
  }
  res.end(format.footer());
}

/**
 * Waits for the response to drain or close, and leaves no listener behind (a long download waits
 * thousands of times).
 */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

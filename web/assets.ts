import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../shared/paths.js';

/** The dashboard, built by `npm run build` (ui/build.mjs); read once, served from memory. */
export const PUBLIC_DIR = join(PACKAGE_ROOT, 'dist', 'web', 'public');

/** The built files, by path, with their content types. */
const ASSET_TYPES: Record<string, string> = {
  '/index.html': 'text/html; charset=utf-8',
  '/app.js': 'text/javascript; charset=utf-8',
  '/style.css': 'text/css; charset=utf-8',
  '/uPlot.min.css': 'text/css; charset=utf-8',
};

/** Served at / when the dashboard is not built: how to build it, and the JSON API's pages. */
const FALLBACK_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8">\
<meta name="viewport" content="width=device-width, initial-scale=1"><title>pimonitor</title></head>
<body><h1>pimonitor</h1><p>The dashboard is not built here (<code>npm run build</code>). \
The JSON API (docs/dashboard.md):</p><ul>
<li><a href="/api/latest">/api/latest</a></li><li><a href="/api/devices">/api/devices</a></li>
<li>/api/history?device=&amp;sensor=&amp;from=-7d</li><li><a href="/api/alerts">/api/alerts</a></li>
<li><a href="/api/rejected">/api/rejected</a></li><li>/api/events (server-sent events)</li></ul></body></html>
`;

interface Asset { type: string; body: Buffer }

/**
 * The dashboard's files, read from `dir` once at construction; a file not there is not served (not built:
 * the API still works, and / says how to build the page).
 */
export class DashboardAssets {
  private readonly files = new Map<string, Asset>();

  constructor(dir: string = PUBLIC_DIR) {
    for (const [path, type] of Object.entries(ASSET_TYPES)) {
      try {
        this.files.set(path, { type, body: readFileSync(join(dir, path)) });
      } catch {
        // Not built.
      }
    }
  }

  /**
   * Answers `pathname` when it is the dashboard's (a built file, the fallback page at /, an empty
   * favicon) and says so; false leaves the request to the API's routes.
   */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    const asset = this.files.get(pathname === '/' ? '/index.html' : pathname);
    if (asset) {
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
    } else if (pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(FALLBACK_PAGE);
    } else if (pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
    } else {
      return false;
    }
    return true;
  }
}

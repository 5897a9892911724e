// Builds the dashboard into dist/web/public: the TypeScript bundled by esbuild (uPlot included, no
// CDN: it works on a LAN without internet), the HTML and CSS copied beside it.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist', 'web', 'public');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, 'main.ts')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  outfile: join(out, 'app.js'),
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
copyFileSync(join(here, 'style.css'), join(out, 'style.css'));
copyFileSync(
  join(dirname(createRequire(import.meta.url).resolve('uplot')), 'uPlot.min.css'),
  join(out, 'uPlot.min.css'),
);

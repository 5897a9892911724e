import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CHART_FONT } from './chart.js';

/**
 * SVG to PNG with resvg: the native build inside @resvg/resvg-js (prebuilt for x64 and arm64/armv7
 * Linux, macOS, Windows), else the same renderer compiled to WebAssembly (@resvg/resvg-wasm), for a
 * board without a native build (armv6: Pi Zero and Pi 1). Fonts come from the dejavu-fonts-ttf package,
 * never from the system, so a chart looks the same on a Pi without fonts as here.
 */

export interface Rasteriser {
  readonly kind: 'native' | 'wasm';
  /** PNG bytes of `svg` drawn `scale` times its size (2: sharp on high-density screens). */
  png(svg: string, scale: number): Uint8Array;
}

const require = createRequire(import.meta.url);
const FONT_DIR = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
export const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => join(FONT_DIR, f));

let loaded: Promise<Rasteriser> | undefined;

/** The rasteriser of this machine, loaded once; `prefer: 'wasm'` skips the native build (tests, benchmarks). */
export function loadRasteriser(prefer: 'native' | 'wasm' = 'native'): Promise<Rasteriser> {
  if (prefer === 'wasm') return loadWasm();
  return (loaded ??= loadNative().catch(() => loadWasm()));
}

async function loadNative(): Promise<Rasteriser> {
  const { Resvg } = await import('@resvg/resvg-js');
  return {
    kind: 'native',
    png: (svg, scale) => {
      const font = { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: CHART_FONT };
      return new Resvg(svg, { font, fitTo: { mode: 'zoom', value: scale } }).render().asPng();
    },
  };
}

let wasmReady: Promise<void> | undefined;
async function loadWasm(): Promise<Rasteriser> {
  const wasm = await import('@resvg/resvg-wasm');
  // initWasm may run once per process; a second call throws.
  const wasmFile = require.resolve('@resvg/resvg-wasm/index_bg.wasm');
  await (wasmReady ??= readFile(wasmFile).then((bytes) => wasm.initWasm(bytes)));
  const fontBuffers = await Promise.all(FONT_FILES.map((f) => readFile(f)));
  return {
    kind: 'wasm',
    png: (svg, scale) => {
      const font = { fontBuffers, loadSystemFonts: false, defaultFontFamily: CHART_FONT };
      const resvg = new wasm.Resvg(svg, { font, fitTo: { mode: 'zoom', value: scale } });
      // WebAssembly memory is not garbage-collected: both objects are freed by hand.
      const image = resvg.render();
      try {
        return image.asPng();
      } finally {
        image.free();
        resvg.free();
      }
    },
  };
}

/** Width and height of a PNG, from its IHDR chunk (bytes 16–23); null when it is not a PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number } | null {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || signature.some((b, i) => png[i] !== b)) return null;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

import { progressLine } from './text-output.js';

/**
 * A progress bar on stderr, redrawn at most 10 times a second, only when stderr is a terminal: piped
 * or redirected output gets no control characters.
 */
export function progressBar(stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now) {
  const started = now();
  let drawnAt = 0;
  const enabled = stream.isTTY === true;
  return {
    update(fraction: number, rows: number): void {
      if (!enabled || now() - drawnAt < 100) return;
      drawnAt = now();
      stream.write(`\r${progressLine(fraction, rows, now() - started)}`);
    },
    done(rows: number): void {
      if (enabled) stream.write(`\r${progressLine(1, rows, now() - started)}\n`);
    },
  };
}

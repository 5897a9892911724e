import { setFlagsFromString } from 'node:v8';

/**
 * Whether V8 compiles WebAssembly's busiest functions a second time with its optimizing compiler
 * (TurboFan). PGlite's 9 MB module costs about 50 MiB more resident memory with it (its optimized code
 * and the compiler's working memory), and runs inserts and aggregates about 1.5 times faster
 * (docs/benchmarks.md, "Footprint"). Set before the module is compiled; it holds for the process.
 */
export function tuneWasmCompiler(tierUp: boolean): void {
  if (!tierUp) setFlagsFromString('--liftoff-only');
}

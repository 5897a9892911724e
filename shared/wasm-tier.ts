import { setFlagsFromString } from 'node:v8';

/**
 * Whether V8 compiles WebAssembly's busiest functions a second time with its optimizing compiler
 * (TurboFan). PGlite's 9 MB module costs about 50 MiB more resident memory with it (its optimized code
 * and the compiler's working memory), and runs 1.1 to 4 times faster: batched inserts the least, heavy
 * functions (md5, count(DISTINCT …)) the most (docs/benchmarks.md, "Footprint"). Set before the module
 * is compiled; it holds for the whole process.
 */
export function tuneWasmCompiler(tierUp: boolean): void {
  if (!tierUp) setFlagsFromString('--liftoff-only');
}

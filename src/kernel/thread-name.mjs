import { writeFileSync } from 'node:fs';

/**
 * Names the calling thread (at most 15 characters) so that `top -H`, perf and the benchmarks' CPU
 * by thread can tell Quanta's worker threads apart. Plain JavaScript, for the workers that start
 * without a TypeScript loader. Linux only; elsewhere the thread stays unnamed.
 */
export function nameThread(name) {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // No procfs: nothing to name.
  }
}

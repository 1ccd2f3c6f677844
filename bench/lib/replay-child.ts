import { readFileSync } from 'node:fs';
import { CAPABILITIES } from '../../src/capabilities.ts';
import { replay } from '../../src/cli/replay.ts';
import { loadConfig } from '../../src/config/config.ts';
import { openStorage } from '../../src/storage/engines.ts';

/**
 * Runs `quanta replay` on the data dir of `QUANTA_DATA_DIR` and prints, as one JSON line, what it
 * replayed and the CPU it used: every thread (`process.cpuUsage`, which keeps the time of threads
 * that have ended) and the main thread alone (`/proc/thread-self/schedstat`, Linux).
 */

/** Nanoseconds the calling thread has run on a CPU; NaN without procfs. */
function threadCpuNs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

const cpuBefore = process.cpuUsage();
const mainBefore = threadCpuNs();
const config = loadConfig();
const result = await replay(config, { capabilities: CAPABILITIES, storage: openStorage(config, 'cli'), progress: false });
const cpu = process.cpuUsage(cpuBefore);
const mainUs = (threadCpuNs() - mainBefore) / 1000;
process.stdout.write(`${JSON.stringify({ ...result, cpuUs: cpu.user + cpu.system, mainUs })}\n`);

import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { CAPABILITIES } from './capabilities.ts';
import type { Config } from './config/config.ts';
import { buildProcessor } from './runtime/processor-runtime.ts';
import { serveProcessor } from './runtime/processor-thread.ts';
import { openStorage } from './storage/engines.ts';

/** What the app hands the processor thread it starts (`ProcessorThread`). */
export interface ProcessorThreadData {
  config: Readonly<Config>;
}

// The processor thread's composition root: the capabilities' processor parts on its own
// connections to the stores (it appends nothing to the log, and alone opens the event store).
const { config } = workerData as ProcessorThreadData;
const logger = pino({ level: config.logLevel, base: { service: 'quanta', thread: 'processor' } });

serveProcessor(parentPort!, (appends) => buildProcessor(CAPABILITIES, { config, logger, storage: openStorage(config, 'processor'), appends }));

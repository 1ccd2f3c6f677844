import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { closeProcessorStores, createProcessor, openProcessorStores, pipelineStages, planRegistry } from './compose.ts';
import type { Config } from './config/config.ts';
import { LiveStreamHub } from './livestream/live-stream.ts';
import { PipelineMetrics } from './pipeline/pipeline-metrics.ts';
import { serveProcessor } from './pipeline/processor-thread.ts';
import { ProfileService } from './profiles/profile-service.ts';

/** What the app hands the processor thread it starts (`ProcessorThread`). */
export interface ProcessorThreadData {
  config: Pick<Config, 'dataDir' | 'log' | 'eventStore' | 'logLevel'>;
}

// The processor thread's composition root: its own connections to the stores, the stages, and
// the processor, served to the app's thread by messages.
const { config } = workerData as ProcessorThreadData;
const logger = pino({ level: config.logLevel, base: { service: 'quanta', thread: 'processor' } });

await serveProcessor(parentPort!, async (appends) => {
  const stores = await openProcessorStores(config);
  const hub = new LiveStreamHub();
  const metrics = new PipelineMetrics();
  const profiles = new ProfileService(stores.profiles);
  const plans = planRegistry(stores, logger);
  const stages = pipelineStages({ stores, plans, profiles, hub, metrics });
  const processor = createProcessor(stores.log, stages, logger, { metrics, appends });
  return { processor, events: stores.events, profiles, plans, hub, metrics, close: () => closeProcessorStores(stores) };
});

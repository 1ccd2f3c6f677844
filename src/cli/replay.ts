import { SingleBar, Presets } from 'cli-progress';
import { pino } from 'pino';
import type { Config } from '../config/config.ts';
import { closeStores, createProcessor, openStores, pipelineStages, planRegistry } from '../compose.ts';
import { loadIdentity } from '../main.ts';
import { LiveStreamHub } from '../livestream/live-stream.ts';
import { ProfileService } from '../profiles/profile-service.ts';
import { AliasWorker } from '../identity/alias-worker.ts';

export interface ReplayResult {
  batches: number;
  events: number;
  seconds: number;
}

/**
 * Rebuilds every derived store from the event log: forgets what the stages derived, rewinds
 * the processor to the start of the log and processes it all again. Quanta must be stopped
 * (the event store is opened exclusively).
 */
export async function replay(config: Readonly<Config>, options: { progress: boolean }): Promise<ReplayResult> {
  const started = Date.now();
  const stores = await openStores(config);
  const logger = pino({ level: 'warn' });
  try {
    const profiles = new ProfileService(stores.profiles);
    const stages = pipelineStages({ stores, plans: planRegistry(stores, logger), profiles, hub: new LiveStreamHub(), validationThread: true });
    const processor = createProcessor(stores.log, stages, logger);
    await processor.rewind();
    const total = await processor.lag();
    const bar = options.progress
      ? new SingleBar({ format: 'Replaying |{bar}| {percentage}% {value}/{total} batches, ETA {eta_formatted}' }, Presets.shades_classic)
      : undefined;
    bar?.start(total, 0);
    await processor.start();
    for (let lag = total; lag > 0; lag = await processor.lag()) {
      bar?.update(total - lag);
      await new Promise((r) => setTimeout(r, 100));
    }
    await processor.stop();
    // Aliasing copied data that is not in the log: apply the completed requests again.
    const { aliases } = await loadIdentity(stores);
    await new AliasWorker({ registry: aliases, profiles, events: stores.events, logger }).reapplyCompleted();
    bar?.update(total);
    bar?.stop();
    const workspaces = stores.platform.inputs().map((i) => i.workspaceId);
    let events = 0;
    for (const ws of new Set(workspaces)) events += await stores.events.count({ workspaceId: ws });
    return { batches: total, events, seconds: (Date.now() - started) / 1000 };
  } finally {
    await closeStores(stores);
  }
}

import { Presets, SingleBar } from 'cli-progress';
import { pino } from 'pino';
import type { Config } from '../config/config.ts';
import type { Capability } from '../runtime/capability.ts';
import { buildProcessor } from '../runtime/processor-runtime.ts';
import type { Storage } from '../runtime/storage.ts';

export interface ReplayResult {
  batches: number;
  events: number;
  seconds: number;
}

export interface ReplayOptions {
  /** The capabilities whose processor parts rebuild their stores. */
  capabilities: readonly Capability[];
  /** The data dir's stores, opened by this command (role `cli`). */
  storage: Storage;
  progress: boolean;
}

/**
 * Rebuilds every derived store from the event log: forgets what the stages derived, rewinds
 * the processor to the start of the log and processes it all again, then lets the capabilities
 * redo what is not in the log (aliasing's copies). Quanta must be stopped (the event store is
 * opened exclusively).
 */
export async function replay(config: Readonly<Config>, options: ReplayOptions): Promise<ReplayResult> {
  const started = Date.now();
  const { storage } = options;
  const built = await buildProcessor(options.capabilities, { config, logger: pino({ level: 'warn' }), storage });
  let result: ReplayResult;
  try {
    const { processor } = built;
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
    await built.replayed();
    bar?.update(total);
    bar?.stop();
    const events = await storage.open('events');
    const workspaces = new Set((await storage.open('platform')).inputs().map((i) => i.workspaceId));
    let stored = 0;
    for (const ws of workspaces) stored += await events.count({ workspaceId: ws });
    result = { batches: total, events: stored, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    await built.close();
    throw error;
  }
  const failures = await built.close();
  if (failures.length > 0) throw new AggregateError(failures, 'the replay did not close its stores cleanly');
  return result;
}

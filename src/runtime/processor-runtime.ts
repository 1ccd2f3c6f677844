import type { Logger } from 'pino';
import { Counter, Histogram, Registry } from 'prom-client';
import type { Config } from '../config/config.ts';
import { LiveStreamHub } from '../pipeline/live-stream.ts';
import type { Stage } from '../model/stage.ts';
import type { EventLog } from '../pipeline/event-log.ts';
import { Processor } from '../pipeline/processor.ts';
import type { Capability, ProcessorCalls, ProcessorContext, ProcessorServices } from './capability.ts';
import { Closers, Erasers, erasureTimer, Services } from './services.ts';
import type { Storage } from './storage.ts';

type AsyncCall = (...args: never[]) => Promise<unknown>;

/** The processor as the registered capabilities make it, on one thread. */
export interface BuiltProcessor {
  readonly processor: Processor;
  readonly log: EventLog;
  /** What the capabilities serve to the app thread, by name. */
  readonly calls: ReadonlyMap<string, AsyncCall>;
  readonly hub: LiveStreamHub;
  readonly metrics: Registry;
  /** Runs the capabilities' after-replay work (`quanta replay`, once the log is processed). */
  replayed(): Promise<void>;
  /** Stops the processor, runs the capabilities' close hooks and closes the stores; every step runs, failures are returned. */
  close(): Promise<unknown[]>;
}

export interface ProcessorRuntimeOptions {
  config: Readonly<Config>;
  logger: Logger;
  storage: Storage;
  /** Where appends are heard of when the log is appended to by another thread (the app's). */
  appends?: Pick<EventLog, 'onAppend'>;
}

/**
 * Builds the processor from the capabilities, in their registered order: each adds its stages,
 * the calls it serves and its services; the stages run in that order. A capability that fails to
 * build leaves nothing open: what was opened is closed and the error goes to the caller.
 */
export async function buildProcessor(capabilities: readonly Capability[], options: ProcessorRuntimeOptions): Promise<BuiltProcessor> {
  const { config, logger, storage } = options;
  const hub = new LiveStreamHub();
  const metrics = new Registry();
  const services = new Services<ProcessorServices>('processor');
  const stages: Stage[] = [];
  const calls = new Map<string, AsyncCall>();
  const closers = new Closers();
  const replayHooks: (() => Promise<void>)[] = [];
  const erasers = new Erasers(erasureTimer(metrics));
  let built: Processor | undefined;
  try {
    for (const capability of capabilities) {
      const by = `capability "${capability.name}"`;
      const ctx: ProcessorContext = {
        config,
        logger,
        metrics,
        live: hub,
        store: (kind) => storage.open(kind),
        onClose: (close) => closers.add(close),
        eraser: (name, erase) => erasers.add(name, erase, by),
        eraseUsers: (ws, mpids) => {
          if (!built) throw new Error('the processor is not built yet');
          const processor = built;
          return processor.exclusive(async () => {
            processor.skipErased(mpids.map((mpid) => ({ workspaceId: ws, mpid })));
            return erasers.run(ws, mpids);
          });
        },
        provide: (name, service) => services.provide(name, service, by),
        use: (name) => services.use(name, by),
        stage: (stage) => stages.push(stage),
        expose: (name, call) => {
          if (calls.has(name)) throw new Error(`${by} serves "${name}", which is served already`);
          calls.set(name, call as AsyncCall);
        },
        onReplayed: (run) => replayHooks.push(run),
      };
      await capability.processor?.(ctx);
    }
    const log = await storage.open('log');
    const outcomes = new Counter({
      name: 'quanta_pipeline_stage_outcomes_total',
      help: 'Pipeline stage outcomes by stage and kind (ok, drop, block, retry, error).',
      labelNames: ['stage', 'outcome'] as const,
      registers: [metrics],
    });
    const flushes = new Histogram({
      name: 'quanta_pipeline_stage_flush_seconds',
      help: "How long each stage's flush (its durable write, and any write behind it runs) took, by stage.",
      labelNames: ['stage'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [metrics],
    });
    const processor = new Processor({
      log,
      stages,
      logger,
      ...(options.appends ? { appends: options.appends } : {}),
      onOutcome: (stage, outcome) => outcomes.inc({ stage, outcome }),
      onFlushed: (stage, seconds) => flushes.observe({ stage }, seconds),
    });
    built = processor;
    return {
      processor,
      log,
      calls,
      hub,
      metrics,
      async replayed() {
        for (const run of replayHooks) await run();
      },
      async close() {
        const failures: unknown[] = [];
        await processor.stop().catch((error: unknown) => failures.push(error));
        failures.push(...(await closers.run()));
        await storage.close().catch((error: unknown) => failures.push(error));
        return failures;
      },
    };
  } catch (error) {
    await closers.run();
    await storage.close().catch(() => undefined);
    throw error;
  }
}

/** What the capabilities serve, typed for callers in the same process (`quanta replay`, tests). */
export function callOf(built: BuiltProcessor) {
  return <K extends keyof ProcessorCalls>(name: K, ...args: Parameters<ProcessorCalls[K] & AsyncCall>) => {
    const call = built.calls.get(name);
    if (!call) throw new Error(`no capability serves "${name}"`);
    return call(...args) as ReturnType<ProcessorCalls[K] & AsyncCall>;
  };
}

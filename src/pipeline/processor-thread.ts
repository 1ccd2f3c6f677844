import type { MessagePort } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { EventFilter, EventStore, StoredEvent } from '../analytics/event-store.ts';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { PlanRegistry } from '../planning/plan-registry.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import { consumerCaughtUp, type EventLog } from './event-log.ts';
import type { LiveMessage, LiveStreamHub, Watcher } from '../livestream/live-stream.ts';
import type { PipelineMetrics } from './pipeline-metrics.ts';
import { type Processor, PROCESSOR_CONSUMER } from './processor.ts';

/** What the processor thread's composition root builds; {@link serveProcessor} runs it. */
export interface ProcessorParts {
  processor: Processor;
  events: EventStore;
  profiles: Pick<ProfileService, 'alias'>;
  plans: Pick<PlanRegistry, 'changed'>;
  hub: LiveStreamHub;
  metrics: PipelineMetrics;
  /** Closes the thread's stores, once the processor stopped. */
  close(): Promise<void>;
}

/** Appends made on the app's thread, as the processor thread hears of them. */
export class AppendSignal implements Pick<EventLog, 'onAppend'> {
  private readonly listeners = new Set<(partitions: ReadonlySet<number>) => void>();

  onAppend(listener: (partitions: ReadonlySet<number>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  fire(partitions: ReadonlySet<number>): void {
    for (const listener of this.listeners) listener(partitions);
  }
}

/** What the app's thread asks of the processor thread, and what each answers. */
interface Calls {
  'events.count': (filter: EventFilter) => Promise<number>;
  'events.list': (filter: EventFilter, limit: number) => Promise<StoredEvent[]>;
  'events.copyEvents': (ws: WorkspaceId, from: Mpid, to: Mpid, startMs: number, endMs: number) => Promise<number>;
  'profiles.alias': (ws: WorkspaceId, source: Mpid, destination: Mpid) => Promise<void>;
  metrics: () => Promise<string>;
}
type CallName = keyof Calls;

type ToThread =
  | { t: 'appended'; partitions: number[] }
  | { t: 'plan-changed'; workspaceId: WorkspaceId; planId: string }
  | { t: 'watchers'; watchers: Watcher[] }
  | { t: 'call'; id: number; name: CallName; args: unknown[] }
  | { t: 'stop' };

type FromThread =
  | { t: 'ready' }
  | { t: 'failed'; message: string }
  | { t: 'result'; id: number; value: unknown }
  | { t: 'error'; id: number; message: string }
  | { t: 'live'; id: number; message: LiveMessage }
  | { t: 'stopped'; error?: string };

/**
 * The processor thread's side: builds the processor with `build`, starts it, answers the app's
 * calls and relays live stream messages, until told to stop. The processor hears of appends from
 * the app's messages (`appends`), as its log is opened only to read.
 */
export async function serveProcessor(port: MessagePort, build: (appends: AppendSignal) => Promise<ProcessorParts>): Promise<void> {
  const send = (message: FromThread) => port.postMessage(message);
  const appends = new AppendSignal();
  let built: ProcessorParts | undefined;
  try {
    built = await build(appends);
    await built.processor.start();
  } catch (error) {
    // What the reason names matters more than a failure to close after it.
    await built?.close().catch(() => undefined);
    send({ t: 'failed', message: messageOf(error) });
    port.close();
    return;
  }
  const parts = built;
  const { events, profiles, plans, hub, metrics } = parts;
  const calls: Calls = {
    'events.count': (filter) => events.count(filter),
    'events.list': (filter, limit) => events.list(filter, limit),
    'events.copyEvents': (...args) => events.copyEvents(...args),
    'profiles.alias': (...args) => profiles.alias(...args),
    metrics: () => metrics.registry.metrics(),
  };
  let relays: (() => void)[] = [];
  port.on('message', (message: ToThread) => {
    switch (message.t) {
      case 'appended':
        return appends.fire(new Set(message.partitions));
      case 'plan-changed':
        return plans.changed(message.workspaceId, message.planId);
      case 'watchers':
        for (const stop of relays) stop();
        relays = message.watchers.map(({ id, filter }) => hub.subscribe(filter, (live) => send({ t: 'live', id, message: live })));
        return;
      case 'call': {
        const { id, name, args } = message;
        void (calls[name] as (...a: unknown[]) => Promise<unknown>)(...args).then(
          (value) => send({ t: 'result', id, value }),
          (error: unknown) => send({ t: 'error', id, message: messageOf(error) }),
        );
        return;
      }
      case 'stop':
        void stop(parts).then((error) => {
          send({ t: 'stopped', ...(error === undefined ? {} : { error }) });
          port.close();
        });
        return;
    }
  });
  send({ t: 'ready' });
}

/** Stops the processor and closes the stores, even when stopping failed; says what failed. */
async function stop(parts: ProcessorParts): Promise<string | undefined> {
  const failures: unknown[] = [];
  await parts.processor.stop().catch((error: unknown) => failures.push(error));
  await parts.close().catch((error: unknown) => failures.push(error));
  return failures.length === 0 ? undefined : failures.map(messageOf).join('; ');
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export interface ProcessorThreadOptions {
  /** The thread's entry: a module that builds the processor and calls {@link serveProcessor} on `parentPort`. */
  entry: URL;
  workerData: unknown;
  /** The app's log: its appends wake the thread, and its consumer offsets tell the lag. */
  log: EventLog;
  /** The app's live stream hub, whose watchers the thread serves. */
  hub: LiveStreamHub;
  logger: Logger;
}

/**
 * The processor, on a thread of its own, so the event loop that answers requests never runs a
 * stage: the app appends, the thread processes. The app's thread talks to it by messages: it
 * says which partitions grew and which plans changed, reads the event store (which only the
 * thread opens) through {@link events}, and relays live stream watchers both ways. A thread that
 * dies is started again after a second; it resumes from its committed offsets, as after a crash.
 */
export class ProcessorThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextCall = 1;
  private stopping = false;
  private readonly unsubscribe: (() => void)[] = [];

  /** The event store, read (and written, by aliasing) on the processor thread. */
  readonly events: EventStore = {
    append: () => this.refuse('append'),
    truncateAfter: () => this.refuse('truncateAfter'),
    clear: () => this.refuse('clear'),
    copyEvents: (...args) => this.call('events.copyEvents', args),
    count: (...args) => this.call('events.count', args),
    list: (...args) => this.call('events.list', args),
    // The thread closes it when it stops.
    close: async () => undefined,
  };

  /** Profile writes the processor's cache must see: they run on its thread. */
  readonly profiles: Pick<ProfileService, 'alias'> = {
    alias: (...args) => this.call('profiles.alias', args),
  };

  private constructor(private readonly options: ProcessorThreadOptions) {}

  /** Starts the thread; resolves once its processor runs, rejects if it cannot start. */
  static async start(options: ProcessorThreadOptions): Promise<ProcessorThread> {
    const thread = new ProcessorThread(options);
    await thread.spawn();
    const { log, hub } = options;
    thread.unsubscribe.push(
      log.onAppend((partitions) => thread.post({ t: 'appended', partitions: [...partitions] })),
      hub.onWatchersChanged(() => thread.post({ t: 'watchers', watchers: hub.watchers() })),
    );
    return thread;
  }

  /** Tells the processor a plan changed (the Data Planning API wrote it). */
  planChanged(workspaceId: WorkspaceId, planId: string): void {
    this.post({ t: 'plan-changed', workspaceId, planId });
  }

  /** The processor's metrics, in the Prometheus text format. */
  metricsText(): Promise<string> {
    return this.call('metrics', []);
  }

  /** Records not yet processed. */
  lag(): Promise<number> {
    return this.options.log.lag(PROCESSOR_CONSUMER);
  }

  /** Resolves once every record appended so far has been processed. */
  caughtUp(pollMs = 20): Promise<void> {
    return consumerCaughtUp(this.options.log, PROCESSOR_CONSUMER, pollMs);
  }

  /** Finishes the records in hand, commits them, closes the thread's stores and ends the thread. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ t: 'stop' } satisfies ToThread);
    await exited;
  }

  private spawn(): Promise<void> {
    const { entry, workerData, hub, logger } = this.options;
    const worker = new Worker(entry, { workerData });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (message: FromThread) => {
        switch (message.t) {
          case 'ready':
            started = true;
            // Watchers who came while the thread was down.
            if (hub.size > 0) this.post({ t: 'watchers', watchers: hub.watchers() });
            return resolve();
          case 'failed':
            return reject(new Error(`the processor thread could not start: ${message.message}`));
          case 'result':
          case 'error':
            return this.settle(message);
          case 'live':
            return hub.deliver(message.id, message.message);
          case 'stopped':
            if (message.error) logger.error({ error: message.error }, 'the processor thread did not stop cleanly');
            return;
        }
      });
      worker.on('error', (error) => {
        logger.error({ err: error }, 'the processor thread failed');
        if (!started) reject(error);
      });
      worker.on('exit', (code) => {
        this.failPending(new Error(`the processor thread exited (code ${code})`));
        if (this.worker === worker) this.worker = undefined;
        if (!started || this.stopping) return;
        logger.error({ code }, 'the processor thread ended unexpectedly; starting it again in 1 s');
        setTimeout(() => {
          if (this.stopping) return;
          this.spawn().catch((error: unknown) => logger.error({ err: error }, 'the processor thread could not be started again'));
        }, 1000).unref();
      });
    });
  }

  private post(message: ToThread): void {
    this.worker?.postMessage(message);
  }

  private call<N extends CallName>(name: N, args: Parameters<Calls[N]>): ReturnType<Calls[N]> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error('the processor thread is not running')) as ReturnType<Calls[N]>;
    const id = this.nextCall++;
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ t: 'call', id, name, args } satisfies ToThread);
    }) as ReturnType<Calls[N]>;
  }

  private settle(message: Extract<FromThread, { t: 'result' | 'error' }>): void {
    const waiting = this.pending.get(message.id);
    this.pending.delete(message.id);
    if (message.t === 'result') waiting?.resolve(message.value);
    else waiting?.reject(new Error(message.message));
  }

  private failPending(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  private refuse(method: string): Promise<never> {
    return Promise.reject(new Error(`the event store's ${method} runs on the processor thread only`));
  }
}

import { type MessagePort, Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { CODED_ERRORS } from '../kernel/errors.ts';
import { Peer } from '../kernel/thread-rpc.mjs';
import type { LiveMessage, LiveStreamFilter, LiveSubscriptions } from '../pipeline/live-stream.ts';
import { consumerCaughtUp, type EventLog } from '../pipeline/event-log.ts';
import { PROCESSOR_CONSUMER } from '../pipeline/processor.ts';
import type { ProcessorCalls } from './capability.ts';
import type { BuiltProcessor } from './processor-runtime.ts';

/** What the processor thread serves besides the capabilities' calls. */
interface ThreadApi {
  /** Builds the processor and starts it; rejects with the reason it cannot. */
  start(): Promise<void>;
  /** Finishes the records in hand, commits them and closes the thread's stores; rejects naming what failed. */
  stop(): Promise<void>;
  /** The processor's metrics, in the Prometheus text format. */
  metrics(): Promise<string>;
  /** Starts sending the live stream messages `filter` shows, as `live` events under `id`. */
  subscribe(id: number, filter: LiveStreamFilter): void;
  unsubscribe(id: number): void;
}

/** Events the app thread sends: the partitions of the log that grew. */
interface ToThread {
  appended: number[];
}

/** Events the thread sends: a live stream message for the subscription `id`. */
interface FromThread {
  live: { id: number; message: LiveMessage };
}

/** Appends made on the app's thread, as the processor thread hears of them. */
class AppendSignal implements Pick<EventLog, 'onAppend'> {
  private readonly listeners = new Set<(partitions: ReadonlySet<number>) => void>();

  onAppend(listener: (partitions: ReadonlySet<number>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  fire(partitions: ReadonlySet<number>): void {
    for (const listener of this.listeners) listener(partitions);
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The processor thread's side: builds the processor with `build` when the app says `start`,
 * serves the capabilities' calls and the live stream, until told to `stop`. The processor hears
 * of appends from the app's `appended` events, as its log is opened only to read.
 */
export function serveProcessor(port: MessagePort, build: (appends: Pick<EventLog, 'onAppend'>) => Promise<BuiltProcessor>): void {
  const peer = new Peer<Record<never, never>, ToThread, FromThread>(port, CODED_ERRORS);
  const appends = new AppendSignal();
  peer.on('appended', (partitions) => appends.fire(new Set(partitions)));
  let built: BuiltProcessor | undefined;
  const subscriptions = new Map<number, () => void>();
  const api: ThreadApi = {
    async start() {
      const parts = await build(appends);
      try {
        await parts.processor.start();
      } catch (error) {
        await parts.close();
        throw error;
      }
      built = parts;
      peer.serve(Object.fromEntries(parts.calls));
    },
    async stop() {
      for (const unsubscribe of subscriptions.values()) unsubscribe();
      const failures = (await built?.close()) ?? [];
      setImmediate(() => port.close());
      if (failures.length > 0) throw new Error(failures.map(messageOf).join('; '));
    },
    metrics: async () => (built ? built.metrics.metrics() : ''),
    subscribe(id, filter) {
      if (!built) throw new Error('the processor is not running');
      subscriptions.set(id, built.hub.subscribe(filter, (message) => peer.emit('live', { id, message })));
    },
    unsubscribe(id) {
      subscriptions.get(id)?.();
      subscriptions.delete(id);
    },
  };
  peer.serve(api);
}

export interface ProcessorThreadOptions {
  /** The thread's entry: a module that calls {@link serveProcessor} on `parentPort`. */
  entry: URL;
  workerData: unknown;
  /** The app's log: its appends wake the thread, and its consumer offsets tell the lag. */
  log: EventLog;
  logger: Logger;
}

/**
 * The processor, on a thread of its own, so the event loop that answers requests never runs a
 * stage: the app appends, the thread processes. The app's thread talks to it by {@link Peer}
 * calls: the capabilities' calls ({@link call}), the metrics, and the live stream ({@link live}:
 * the one hub is the thread's; the app keeps only the watchers' connections). A thread that dies
 * is started again after a second; it resumes from its committed offsets, as after a crash, and
 * the live stream's watchers are subscribed again.
 */
export class ProcessorThread {
  private worker: Worker | undefined;
  /** The running thread's end of the channel; undefined while it starts or is down. */
  private peer: Peer<ThreadApi> | undefined;
  private stopping = false;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly watchers = new Map<number, { filter: LiveStreamFilter; send: (message: LiveMessage) => void }>();
  private nextWatcher = 1;

  /** Live stream subscriptions, matched by the thread's hub. */
  readonly live: LiveSubscriptions = {
    subscribe: (filter, send) => {
      const id = this.nextWatcher++;
      this.watchers.set(id, { filter, send });
      this.peer?.call('subscribe', id, filter).catch((error: unknown) => this.options.logger.warn({ err: error }, 'live stream subscription failed'));
      return () => {
        if (!this.watchers.delete(id)) return;
        this.peer?.call('unsubscribe', id).catch(() => undefined);
      };
    },
  };

  private constructor(private readonly options: ProcessorThreadOptions) {}

  /** Starts the thread; resolves once its processor runs, rejects if it cannot start. */
  static async start(options: ProcessorThreadOptions): Promise<ProcessorThread> {
    const thread = new ProcessorThread(options);
    await thread.spawn();
    thread.unsubscribe.push(options.log.onAppend((partitions) => thread.peer?.emit('appended', [...partitions])));
    return thread;
  }

  /** Calls what a capability serves on the processor thread. */
  call<K extends keyof ProcessorCalls>(
    name: K,
    ...args: ProcessorCalls[K] extends (...a: infer A) => Promise<unknown> ? A : never
  ): Promise<ProcessorCalls[K] extends (...a: never[]) => Promise<infer R> ? R : never> {
    const peer = this.peer;
    if (!peer) return Promise.reject(new Error('the processor thread is not running; retry in a moment'));
    return (peer as unknown as Peer<Record<string, (...a: unknown[]) => Promise<never>>>).call(name, ...(args as unknown[]));
  }

  /** The processor's metrics, in the Prometheus text format (none while the thread is down). */
  async metricsText(): Promise<string> {
    return (await this.peer?.call('metrics')) ?? '';
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
    const { worker, peer } = this;
    if (!worker || !peer) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    await peer.call('stop').catch((error: unknown) => this.options.logger.error({ err: error }, 'the processor thread did not stop cleanly'));
    await exited;
  }

  private async spawn(): Promise<void> {
    const { entry, workerData, logger } = this.options;
    const worker = new Worker(entry, { workerData });
    const peer = new Peer<ThreadApi, FromThread, ToThread>(worker, CODED_ERRORS);
    this.worker = worker;
    let started = false;
    peer.on('live', ({ id, message }) => this.watchers.get(id)?.send(message));
    worker.on('error', (error) => {
      logger.error({ err: error }, 'the processor thread failed');
      peer.fail(error);
    });
    worker.on('exit', (code) => {
      peer.fail(new Error(`the processor thread exited (code ${code})`));
      if (this.worker === worker) {
        this.worker = undefined;
        this.peer = undefined;
      }
      if (!started || this.stopping) return;
      logger.error({ code }, 'the processor thread ended unexpectedly; starting it again in 1 s');
      setTimeout(() => {
        if (this.stopping) return;
        this.spawn().catch((error: unknown) => logger.error({ err: error }, 'the processor thread could not be started again'));
      }, 1000).unref();
    });
    try {
      await peer.call('start');
    } catch (error) {
      await worker.terminate();
      throw new Error(`the processor thread could not start: ${messageOf(error)}`);
    }
    started = true;
    this.peer = peer;
    // Watchers who came while the thread was down, or who watched the one that died.
    for (const [id, { filter }] of this.watchers) {
      peer.call('subscribe', id, filter).catch((error: unknown) => logger.warn({ err: error }, 'live stream subscription failed'));
    }
  }
}

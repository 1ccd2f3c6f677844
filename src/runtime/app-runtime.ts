import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { LiveSubscriptions } from '../pipeline/live-stream.ts';
import { PROCESSOR_CONSUMER } from '../pipeline/processor.ts';
import { buildApp, type RouteRegistration } from '../server/app.ts';
import { Metrics } from '../server/metrics.ts';
import type { TenantRouteRegistration } from '../server/tenant-scope.ts';
import type { AppContext, AppServices, Capability, Job, StoreKinds } from './capability.ts';
import { ProcessorThread } from './processor-thread.ts';
import { Closers, Erasers, erasureTimer, Services } from './services.ts';
import type { Storage } from './storage.ts';

export interface QuantaOptions {
  capabilities: readonly Capability[];
  /** The app thread's stores (role `app`). */
  storage: Storage;
  /** The processor thread's entry (`src/processor-main.mjs`) and what it is started with. */
  processor: { entry: URL; workerData: unknown };
}

/** A running Quanta: its HTTP app (not yet listening), its processor thread and its services. */
export interface Quanta {
  readonly config: Readonly<Config>;
  readonly app: FastifyInstance;
  readonly processor: ProcessorThread;
  /**
   * The stores the app thread opened, by kind; a kind only the processor thread opens (the event
   * store) throws when read here: read it through its service (`use('events')`).
   */
  readonly stores: Readonly<StoreKinds>;
  use<K extends keyof AppServices>(name: K): AppServices[K];
  close(): Promise<void>;
}

/**
 * Builds the app thread from the capabilities, in their registered order (each may use the
 * services of those above it), while the processor thread starts beside it; then the HTTP app
 * from the routes they registered. Anything that fails to start closes what was opened.
 */
export async function createQuanta(config: Readonly<Config>, logger: Logger, options: QuantaOptions): Promise<Quanta> {
  const { capabilities, storage } = options;
  const log = await storage.open('log');
  const metrics = new Metrics(() => log.lag(PROCESSOR_CONSUMER));
  const services = new Services<AppServices>('app');
  const closers = new Closers();
  const erasers = new Erasers(erasureTimer(metrics.registry));
  const routes: RouteRegistration[] = [];
  const tenantRoutes: TenantRouteRegistration[] = [];
  const jobs: Job[] = [];
  let thread: ProcessorThread | undefined;
  const running = () => {
    if (!thread) throw new Error('the processor thread is not running yet');
    return thread;
  };
  const live: LiveSubscriptions = { subscribe: (filter, send) => running().live.subscribe(filter, send) };
  // The processor thread starts while the capabilities build (identities load...); its failure is
  // handled where it is awaited.
  const starting = ProcessorThread.start({ ...options.processor, log, logger });
  starting.catch(() => undefined);
  const abandon = async () => {
    await starting.then((t) => t.stop()).catch(() => undefined);
    await closers.run();
    await storage.close().catch(() => undefined);
  };
  let app: FastifyInstance;
  try {
    for (const capability of capabilities) {
      if (!capability.app) continue;
      const by = `capability "${capability.name}"`;
      const ctx: AppContext = {
        config,
        logger,
        metrics: metrics.registry,
        live,
        store: (kind) => storage.open(kind),
        onClose: (close) => closers.add(close),
        eraser: (name, erase) => erasers.add(name, erase, by),
        eraseUsers: (ws, mpids) => erasers.run(ws, mpids),
        provide: (name, service) => services.provide(name, service, by),
        use: (name) => services.use(name, by),
        routes: (plugin, o) => routes.push({ plugin: plugin as RouteRegistration['plugin'], options: o }),
        tenantRoutes: (plugin, o, permission) => tenantRoutes.push({ plugin: plugin as RouteRegistration['plugin'], options: o, permission }),
        call: (name, ...args) => running().call(name, ...args),
        job: (job) => jobs.push(job),
      };
      await capability.app(ctx);
    }
    thread = await starting;
    metrics.addSource(() => running().metricsText());
    app = await buildApp({
      logger,
      metrics,
      requestBytes: config.limits.requestBytes,
      allowedOrigins: config.allowedOrigins,
      routes,
      tenantRoutes,
      tenantAuth: services.use('tenantAuth', 'the app runtime'),
      logLag: () => running().lag(),
    });
  } catch (error) {
    await abandon();
    throw error;
  }
  const processor = thread;
  for (const job of jobs) job.start();
  return {
    config,
    app,
    processor,
    stores: storesOf(storage),
    use: (name) => services.use(name, 'a caller of Quanta'),
    async close() {
      await app.close();
      for (const job of jobs.reverse()) await job.stop();
      const failures = await closers.run();
      await processor.stop();
      await storage.close();
      if (failures.length > 0) throw new AggregateError(failures, 'some capabilities did not close cleanly');
    },
  };
}

/** Every kind of store, as the app thread opened it; a kind it did not open throws, naming itself. */
function storesOf(storage: Storage): Readonly<StoreKinds> {
  const stores = {};
  for (const kind of storage.kinds()) {
    Object.defineProperty(stores, kind, {
      enumerable: true,
      get: () => {
        const store = storage.opened()[kind];
        if (store === undefined) throw new Error(`the ${kind} store is not open on the app thread`);
        return store;
      },
    });
  }
  return stores as Readonly<StoreKinds>;
}

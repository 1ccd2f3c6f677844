import type { FastifyInstance } from 'fastify';
import { createServer as createHttpsServer } from 'node:https';
import { pathToFileURL } from 'node:url';
import { pino, type Logger } from 'pino';
import { type Config, ConfigError, loadConfig } from './config/config.ts';
import { IdentityApi } from './identity/identity-api.ts';
import { IdentityGraph } from './identity/identity-graph.ts';
import { ProfileApi } from './profiles/profile-api.ts';
import { IdSyncResolver } from './identity/idsync-resolver.ts';
import { AliasRegistry } from './identity/aliasing.ts';
import { AliasWorker } from './identity/alias-worker.ts';
import { DEFAULT_STRATEGY, type IdentityStrategy, STRATEGY_PRESETS, type StrategyName } from './identity/strategy.ts';
import { IngestService } from './pipeline/ingest.ts';
import { LiveStreamHub } from './livestream/live-stream.ts';
import { ProcessorThread } from './pipeline/processor-thread.ts';
import { closeStores, openAppStores, planRegistry, type Stores } from './compose.ts';
import type { ProcessorThreadData } from './processor-main.ts';
import { bootstrap, type Bootstrapped, strategySettingOf } from './platform/bootstrap.ts';
import { workspaceForClient } from './platform/access.ts';
import { InputDirectory } from './platform/credentials.ts';
import { TokenService } from './platform/oauth.ts';
import type { PlatformStore } from './platform/platform-store.ts';
import type { WorkspaceId } from './kernel/ids.ts';
import { RateLimiter } from './platform/rate-limiter.ts';
import { buildApp } from './server/app.ts';
import { Metrics } from './server/metrics.ts';
import { loadTls } from './server/tls.ts';
import { notifyingPlanStore } from './planning/plan-registry.ts';
import { Backfill } from './planning/backfill.ts';
import { QuarantineReader } from './planning/quarantine-reader.ts';

/** Each workspace's IDSync strategy, from its platform setting (read once per workspace). */
export function identityStrategies(platform: PlatformStore): (ws: WorkspaceId) => IdentityStrategy {
  const cache = new Map<WorkspaceId, IdentityStrategy>();
  return (ws) => {
    let strategy = cache.get(ws);
    if (!strategy) {
      const name = platform.setting(strategySettingOf(ws)) as StrategyName | undefined;
      strategy = (name && STRATEGY_PRESETS[name]) || DEFAULT_STRATEGY;
      cache.set(ws, strategy);
    }
    return strategy;
  };
}

/** The identity side of Quanta: each workspace's strategy, the graph in memory, the alias requests. */
export async function loadIdentity(stores: Stores) {
  const strategyFor = identityStrategies(stores.platform);
  const graph = await IdentityGraph.load({ store: stores.identity, strategyFor });
  const aliases = await AliasRegistry.load(stores.identity, graph, strategyFor);
  return { strategyFor, graph, aliases };
}

export interface Quanta {
  config: Readonly<Config>;
  app: FastifyInstance;
  processor: ProcessorThread;
  stores: Stores;
  bootstrapped: Bootstrapped;
  metrics: Metrics;
  aliasWorker: AliasWorker;
  close(): Promise<void>;
}

/**
 * Opens the stores, bootstraps the default tenant, starts the processor on its own thread
 * (`processor-main.ts`) and builds the app. The event store lives on the processor thread;
 * `stores.events` reads it from there.
 */
export async function createQuanta(config: Readonly<Config>, logger: Logger): Promise<Quanta> {
  const hub = new LiveStreamHub();
  const appStores = openAppStores(config);
  const bootstrapped = bootstrap(appStores.platform, config.bootstrap);
  const { dataDir, log, eventStore, logLevel } = config;
  const workerData: ProcessorThreadData = { config: { dataDir, log, eventStore, logLevel } };
  const thread = await ProcessorThread.start({ entry: new URL('./processor-main.mjs', import.meta.url), workerData, log: appStores.log, hub, logger }).catch(
    async (error: unknown) => {
      await closeStores(appStores);
      throw error;
    },
  );
  const stores: Stores = { ...appStores, events: thread.events };
  const metrics = new Metrics(() => thread.lag());
  metrics.addSource(() => thread.metricsText());
  const plans = planRegistry(stores, logger);
  const tokens = new TokenService(stores.platform);
  const { strategyFor, graph, aliases } = await loadIdentity(stores);
  const inputs = new InputDirectory(stores.platform);
  const ingest = new IngestService({
    log: stores.log,
    resolver: new IdSyncResolver(graph),
    limits: config.limits,
    rateLimiter: new RateLimiter(),
    onAccepted: (input, r) => {
      const label = { input: String(input.id) };
      metrics.batchesAccepted.inc(label, r.batches - r.duplicates);
      metrics.eventsAccepted.inc(label, r.events);
      metrics.duplicateBatches.inc(r.duplicates);
    },
    planExists: (ws, planId, version) => plans.exists(ws, planId, version),
  });
  const quarantine = new QuarantineReader(stores.quality, async (partition, offset) => {
    const [record] = await stores.log.read(partition, offset - 1, 1);
    return record?.offset === offset ? record.batch : undefined;
  });
  const backfill = new Backfill({
    store: stores.quality,
    quarantine,
    plans,
    inputOf: (id) => stores.platform.inputs().find((i) => i.id === id),
    resend: (input, batches) => ingest.ingest({ input, body: batches, bodyBytes: Infinity, bulk: true, channel: 'server_to_server', ip: null, internal: true }),
  });
  const app = await buildApp({
    logger,
    metrics,
    requestBytes: config.limits.requestBytes,
    allowedOrigins: config.allowedOrigins,
    ingest,
    identity: new IdentityApi(graph),
    graph,
    aliases,
    aliasDelayMs: config.aliasDelayMs,
    // Read from the store: the processor thread holds the profiles it changes until it flushes them, before it commits.
    profileApi: new ProfileApi(stores.profiles, graph, (ws) => strategyFor(ws).loginIds),
    platform: stores.platform,
    plans: notifyingPlanStore(stores.plans, {
      changed: (ws, planId) => {
        plans.changed(ws, planId);
        thread.planChanged(ws, planId);
      },
    }),
    planRegistry: plans,
    quality: stores.quality,
    quarantine,
    backfill,
    catalog: stores.catalog,
    activePlans: (ws) => plans.active(ws),
    inputs,
    tokens,
    hub,
    workspaceFor: (clientId, requested) =>
      workspaceForClient(stores.platform, clientId, requested, bootstrapped.tenant.workspaceId),
    logLag: () => thread.lag(),
  });
  const aliasWorker = new AliasWorker({ registry: aliases, profiles: thread.profiles, events: stores.events, logger });
  aliasWorker.start();
  return {
    config,
    app,
    processor: thread,
    stores,
    bootstrapped,
    metrics,
    aliasWorker,
    async close() {
      await app.close();
      await aliasWorker.stop();
      await thread.stop();
      await closeStores(stores);
    },
  };
}

/** Starts Quanta on the configured listeners and prints where it is and how to reach it. */
export async function startQuanta(config: Readonly<Config>): Promise<Quanta> {
  const logger = pino({ level: config.logLevel, base: { service: 'quanta' } });
  const quanta = await createQuanta(config, logger);
  const { app, bootstrapped: b } = quanta;
  const tls = await loadTls(config.tls, config.dataDir);
  const httpsServer = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => app.routing(req, res)) : undefined;
  let httpsClosed = Promise.resolve();
  app.addHook('preClose', async () => {
    if (httpsServer) {
      httpsClosed = new Promise((resolve) => httpsServer.close(() => resolve()));
      httpsServer.closeIdleConnections();
    }
    // Clients that keep a connection open past this are cut off, so shutdown always ends.
    setTimeout(() => {
      app.server.closeAllConnections();
      httpsServer?.closeAllConnections();
    }, 10_000).unref();
  });
  app.addHook('onClose', async () => {
    await httpsClosed;
  });
  const url = await app.listen({ host: config.host, port: config.port });
  let tlsUrl: string | undefined;
  if (httpsServer && tls) {
    await new Promise<void>((resolve, reject) => {
      httpsServer.once('error', reject);
      httpsServer.listen(tls.port, config.host, resolve);
    });
    const address = httpsServer.address();
    tlsUrl = `https://${config.host}:${typeof address === 'object' && address ? address.port : tls.port}`;
  }
  const shown = (key: string, value: string) => `${value}${b.generated.includes(key) ? '   (generated now, stored)' : ''}`;
  console.log(
    [
      '',
      'Quanta is running',
      `  HTTP       ${url}`,
      ...(tlsUrl ? [`  HTTPS      ${tlsUrl}   (certificate: ${tls!.source})`] : []),
      `  Data dir   ${config.dataDir}`,
      `  Workspace  org ${b.tenant.orgId} / account ${b.tenant.accountId} / workspace ${b.tenant.workspaceId}, IDSync strategy ${b.identityStrategy}`,
      `  API key    ${shown('api_key', b.input.apiKey)}`,
      `  API secret ${shown('api_secret', b.input.apiSecret)}`,
      `  Client id  ${shown('client_id', b.client.clientId)}`,
      `  Client secret ${shown('client_secret', b.client.clientSecret)}`,
      `  Try: curl -u "${b.input.apiKey}:${b.input.apiSecret}" -H 'content-type: application/json' \\`,
      `         -d '{"events":[{"event_type":"custom_event","data":{"event_name":"Hello"}}]}' ${url}/v2/events`,
      `  Docs: ${url}/openapi.json   Metrics: ${url}/metrics   Health: ${url}/healthz`,
      '',
    ].join('\n'),
  );
  return quanta;
}

async function main(): Promise<void> {
  let config: Readonly<Config>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Quanta cannot start: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const quanta = await startQuanta(config);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    quanta.app.log.info({ signal }, 'shutting down');
    await quanta.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error('Quanta failed to start:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

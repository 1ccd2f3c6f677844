import type { FastifyInstance } from 'fastify';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino, type Logger } from 'pino';
import { eventStoreStage } from './pipeline/event-store.stage.ts';
import type { EventStore } from './analytics/event-store.ts';
import { type Config, ConfigError, loadConfig } from './config/config.ts';
import { IdentityApi } from './identity/identity-api.ts';
import { IdentityGraph } from './identity/identity-graph.ts';
import type { IdentityStore } from './identity/identity-store.ts';
import type { ProfileStore } from './profiles/profile-store.ts';
import { ProfileService } from './profiles/profile-service.ts';
import { ProfileApi } from './profiles/profile-api.ts';
import { profileStage } from './pipeline/profile.stage.ts';
import { catalogStage } from './pipeline/catalog.stage.ts';
import { IdSyncResolver } from './identity/idsync-resolver.ts';
import { AliasRegistry } from './identity/aliasing.ts';
import { AliasWorker } from './pipeline/alias-worker.ts';
import { DEFAULT_STRATEGY, type IdentityStrategy, STRATEGY_PRESETS, type StrategyName } from './identity/strategy.ts';
import type { EventLog } from './pipeline/event-log.ts';
import { IngestService } from './pipeline/ingest.ts';
import { LiveStreamHub, liveStreamStage } from './pipeline/live-stream.ts';
import { Processor } from './pipeline/processor.ts';
import type { Stage } from './pipeline/stage.ts';
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
import { DuckDbEventStore } from './storage/duckdb/duckdb-event-store.ts';
import { Checkpointer } from './storage/sqlite/checkpointer.ts';
import { SqliteEventLog } from './storage/sqlite/sqlite-event-log.ts';
import { SqliteIdentityStore } from './storage/sqlite/sqlite-identity-store.ts';
import { SqliteProfileStore } from './storage/sqlite/sqlite-profile-store.ts';
import { SqlitePlatformStore } from './storage/sqlite/sqlite-platform-store.ts';
import { SqlitePlanStore } from './storage/sqlite/sqlite-plan-store.ts';
import { SqliteCatalogStore } from './storage/sqlite/sqlite-catalog-store.ts';
import type { PlanStore } from './planning/plan-store.ts';
import type { CatalogStore } from './catalog/catalog-store.ts';
import { notifyingPlanStore, PlanRegistry } from './planning/plan-registry.ts';
import type { DataQualityStore } from './planning/quality-store.ts';
import { SqliteQualityStore } from './storage/sqlite/sqlite-quality-store.ts';
import { ValidationWorker } from './planning/validation-worker.ts';
import { dataPlanStage } from './pipeline/data-plan.stage.ts';
import { Backfill } from './planning/backfill.ts';
import { QuarantineReader } from './planning/quarantine-reader.ts';

/** The engines behind each storage role. This is the only place that picks adapters. */
export interface Stores {
  checkpointer: Checkpointer;
  log: EventLog;
  platform: PlatformStore;
  identity: IdentityStore;
  profiles: ProfileStore;
  plans: PlanStore;
  catalog: CatalogStore;
  quality: DataQualityStore;
  events: EventStore;
}

/** The platform store alone (credentials, settings), e.g. for a CLI beside a running Quanta. */
export function openPlatformStore(config: Pick<Config, 'dataDir'>, options: { autoCheckpoint?: boolean } = {}): PlatformStore {
  return new SqlitePlatformStore(join(config.dataDir, 'state.sqlite'), options);
}

export async function openStores(config: Pick<Config, 'dataDir' | 'log'>): Promise<Stores> {
  const events = await DuckDbEventStore.open(join(config.dataDir, 'events.duckdb'));
  const logFile = join(config.dataDir, 'log.sqlite');
  const stateFile = join(config.dataDir, 'state.sqlite');
  const noAuto = { autoCheckpoint: false };
  const stores = {
    log: new SqliteEventLog({ file: logFile, partitions: config.log.partitions, ...noAuto }),
    platform: openPlatformStore(config, noAuto),
    identity: new SqliteIdentityStore(stateFile, noAuto),
    profiles: new SqliteProfileStore(stateFile, noAuto),
    plans: new SqlitePlanStore(stateFile, noAuto),
    catalog: new SqliteCatalogStore(stateFile, noAuto),
    quality: new SqliteQualityStore(stateFile, noAuto),
    events,
  };
  // Created once the files exist, so its connections see them in WAL mode.
  return { ...stores, checkpointer: new Checkpointer([logFile, stateFile]) };
}

export async function closeStores(stores: Stores): Promise<void> {
  await stores.checkpointer.stop();
  await stores.log.close();
  await stores.events.close();
  await stores.identity.close();
  await stores.profiles.close();
  await stores.plans.close();
  await stores.catalog.close();
  await stores.quality.close();
  stores.platform.close();
}

/** The processor's stages, in DESIGN.md's order. Later capabilities insert theirs here. */
export function pipelineStages(deps: {
  stores: Pick<Stores, 'events' | 'quality' | 'catalog'>;
  plans: PlanRegistry;
  profiles: ProfileService;
  hub: LiveStreamHub;
  metrics?: Metrics;
}): Stage[] {
  const { stores, metrics } = deps;
  return [
    dataPlanStage({
      plans: deps.plans,
      store: stores.quality,
      hub: deps.hub,
      validationWorker: () => new ValidationWorker(),
      ...(metrics ? { violations: metrics.planViolations } : {}),
    }),
    catalogStage({ store: stores.catalog }),
    profileStage({ profiles: deps.profiles, ...(metrics ? { refusedAttributes: metrics.refusedAttributes } : {}) }),
    eventStoreStage({ store: stores.events, ...(metrics ? { processingLag: metrics.processingLag } : {}) }),
    liveStreamStage(deps.hub),
  ];
}

/** The plans ingest and the processor enforce; a stored version that no longer compiles is logged, not enforced. */
export function planRegistry(stores: Pick<Stores, 'plans'>, logger: Logger): PlanRegistry {
  return new PlanRegistry(stores.plans, (planId, version, error) =>
    logger.error({ err: error, planId, version }, 'stored data plan version does not compile; it is not enforced'),
  );
}

export function createProcessor(stores: Stores, stages: Stage[], logger: Logger, metrics?: Metrics): Processor {
  return new Processor({
    log: stores.log,
    stages,
    logger,
    ...(metrics ? { onOutcome: (stage, outcome) => metrics.stageOutcomes.inc({ stage, outcome }) } : {}),
  });
}

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
  processor: Processor;
  stores: Stores;
  bootstrapped: Bootstrapped;
  metrics: Metrics;
  aliasWorker: AliasWorker;
  close(): Promise<void>;
}

/** Opens the stores, bootstraps the default tenant, and builds the app and the processor. */
export async function createQuanta(config: Readonly<Config>, logger: Logger): Promise<Quanta> {
  const stores = await openStores(config);
  const bootstrapped = bootstrap(stores.platform, config.bootstrap);
  const hub = new LiveStreamHub();
  const metrics = new Metrics(() => stores.log.lag('processor'));
  const profiles = new ProfileService(stores.profiles);
  const plans = planRegistry(stores, logger);
  const processor = createProcessor(stores, pipelineStages({ stores, plans, profiles, hub, metrics }), logger, metrics);
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
    profileApi: new ProfileApi(profiles, graph, (ws) => strategyFor(ws).loginIds),
    platform: stores.platform,
    plans: notifyingPlanStore(stores.plans, plans),
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
    logLag: () => processor.lag(),
  });
  await processor.start();
  const aliasWorker = new AliasWorker({ registry: aliases, profiles, events: stores.events, logger });
  aliasWorker.start();
  return {
    config,
    app,
    processor,
    stores,
    bootstrapped,
    metrics,
    aliasWorker,
    async close() {
      await app.close();
      await aliasWorker.stop();
      await processor.stop();
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

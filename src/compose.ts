import { join } from 'node:path';
import type { Logger } from 'pino';
import type { EventStore } from './analytics/event-store.ts';
import type { CatalogStore } from './catalog/catalog-store.ts';
import type { Config } from './config/config.ts';
import type { IdentityStore } from './identity/identity-store.ts';
import { catalogStage } from './catalog/catalog.stage.ts';
import { dataPlanStage } from './planning/data-plan.stage.ts';
import type { EventLog } from './pipeline/event-log.ts';
import { eventStoreStage } from './analytics/event-store.stage.ts';
import { type LiveStreamHub, liveStreamStage } from './livestream/live-stream.ts';
import type { PipelineMetrics } from './pipeline/pipeline-metrics.ts';
import { Processor } from './pipeline/processor.ts';
import { profileStage } from './profiles/profile.stage.ts';
import type { Stage } from './model/stage.ts';
import { PlanRegistry } from './planning/plan-registry.ts';
import type { PlanStore } from './planning/plan-store.ts';
import type { DataQualityStore } from './planning/quality-store.ts';
import { ValidationWorker } from './planning/validation-worker.ts';
import type { PlatformStore } from './platform/platform-store.ts';
import type { ProfileService } from './profiles/profile-service.ts';
import type { ProfileStore } from './profiles/profile-store.ts';
import { DuckDbEventStore } from './storage/duckdb/duckdb-event-store.ts';
import { Checkpointer } from './storage/sqlite/checkpointer.ts';
import { SqliteCatalogStore } from './storage/sqlite/sqlite-catalog-store.ts';
import { SqliteEventLog } from './storage/sqlite/sqlite-event-log.ts';
import { SqliteIdentityStore } from './storage/sqlite/sqlite-identity-store.ts';
import { SqlitePlanStore } from './storage/sqlite/sqlite-plan-store.ts';
import { SqlitePlatformStore } from './storage/sqlite/sqlite-platform-store.ts';
import { SqliteProfileStore } from './storage/sqlite/sqlite-profile-store.ts';
import { SqliteQualityStore } from './storage/sqlite/sqlite-quality-store.ts';

// How Quanta is put together: the engines behind each storage role and the processor's stages.
// The app (main.ts), the processor thread (processor-main.ts) and the CLI build from these; this
// is the only place that picks adapters.

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

/** What the processor reads and writes. */
export type ProcessorStores = Pick<Stores, 'log' | 'profiles' | 'plans' | 'catalog' | 'quality' | 'events'>;

type StoreConfig = Pick<Config, 'dataDir' | 'log' | 'eventStore'>;

const files = (config: Pick<Config, 'dataDir'>) => ({
  log: join(config.dataDir, 'log.sqlite'),
  state: join(config.dataDir, 'state.sqlite'),
  events: join(config.dataDir, 'events.duckdb'),
});

// A `Checkpointer` thread checkpoints the SQLite files, so no connection does it on commit.
const noAuto = { autoCheckpoint: false };

/** The platform store alone (credentials, settings), e.g. for a CLI beside a running Quanta. */
export function openPlatformStore(config: Pick<Config, 'dataDir'>, options: { autoCheckpoint?: boolean } = {}): PlatformStore {
  return new SqlitePlatformStore(files(config).state, options);
}

/** What both threads keep in the state file beside identities and the platform. */
type SharedStateStores = Pick<Stores, 'profiles' | 'plans' | 'catalog' | 'quality'>;

function openSharedState(stateFile: string): SharedStateStores {
  return {
    profiles: new SqliteProfileStore(stateFile, noAuto),
    plans: new SqlitePlanStore(stateFile, noAuto),
    catalog: new SqliteCatalogStore(stateFile, noAuto),
    quality: new SqliteQualityStore(stateFile, noAuto),
  };
}

/** Closes the log, the event store (when this thread has it) and the shared state stores. */
async function closeCommon(stores: Pick<Stores, 'log'> & Partial<Pick<Stores, 'events'>> & SharedStateStores): Promise<void> {
  await stores.log.close();
  await stores.events?.close();
  await stores.profiles.close();
  await stores.plans.close();
  await stores.catalog.close();
  await stores.quality.close();
}

/** Every store but the event store. */
export function openAppStores(config: StoreConfig): Omit<Stores, 'events'> {
  const f = files(config);
  const stores = {
    log: new SqliteEventLog({ file: f.log, partitions: config.log.partitions, ...noAuto }),
    platform: openPlatformStore(config, noAuto),
    identity: new SqliteIdentityStore(f.state, noAuto),
    ...openSharedState(f.state),
  };
  // Created once the files exist, so its connections see them in WAL mode.
  return { ...stores, checkpointer: new Checkpointer([f.log, f.state]) };
}

/** Every store, the processor included, in this thread (the CLI's replay). */
export async function openStores(config: StoreConfig): Promise<Stores> {
  const events = await DuckDbEventStore.open(files(config).events, config.eventStore);
  return { ...openAppStores(config), events };
}

export async function closeStores(stores: Omit<Stores, 'events'> & Partial<Pick<Stores, 'events'>>): Promise<void> {
  await stores.checkpointer.stop();
  await closeCommon(stores);
  await stores.identity.close();
  stores.platform.close();
}

/**
 * The processor thread's stores: its own connections to the files the app opened (it appends
 * nothing to the log), and the DuckDB event store, which only it opens.
 */
export async function openProcessorStores(config: StoreConfig): Promise<ProcessorStores> {
  const f = files(config);
  // First, so that a DuckDB file that cannot be opened leaves nothing else open.
  const events = await DuckDbEventStore.open(f.events, config.eventStore);
  return {
    log: new SqliteEventLog({ file: f.log, partitions: config.log.partitions, appends: false, ...noAuto }),
    ...openSharedState(f.state),
    events,
  };
}

export const closeProcessorStores = (stores: ProcessorStores): Promise<void> => closeCommon(stores);

/** The processor's stages, in DESIGN.md's order. Later capabilities insert theirs here. */
export function pipelineStages(deps: {
  stores: Pick<Stores, 'events' | 'quality' | 'catalog'>;
  plans: PlanRegistry;
  profiles: ProfileService;
  hub: LiveStreamHub;
  metrics?: PipelineMetrics;
  /**
   * Validate batches on a worker thread of their own (the CLI's replay, where the processor runs
   * on the main thread) rather than where the processor runs (the processor thread).
   */
  validationThread?: boolean;
}): Stage[] {
  const { stores, metrics } = deps;
  return [
    dataPlanStage({
      plans: deps.plans,
      store: stores.quality,
      hub: deps.hub,
      ...(deps.validationThread ? { validationWorker: () => new ValidationWorker() } : {}),
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

export function createProcessor(
  log: EventLog,
  stages: Stage[],
  logger: Logger,
  options: { metrics?: PipelineMetrics; appends?: Pick<EventLog, 'onAppend'> } = {},
): Processor {
  const { metrics, appends } = options;
  return new Processor({
    log,
    stages,
    logger,
    ...(appends ? { appends } : {}),
    ...(metrics ? { onOutcome: (stage, outcome) => metrics.stageOutcomes.inc({ stage, outcome }) } : {}),
  });
}

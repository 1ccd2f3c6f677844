import { join } from 'node:path';
import type { Config } from '../config/config.ts';
import type { StoreKinds } from '../runtime/capability.ts';
import type { Storage, StorageRole } from '../runtime/storage.ts';
import { DuckDbEventStore } from './duckdb/duckdb-event-store.ts';
import { OUTPUT_ENGINES } from './output-engines.ts';
import { Checkpointer } from './sqlite/checkpointer.ts';
import { openSqlite } from './sqlite/open.ts';
import { SqliteAccessStore } from './sqlite/sqlite-access-store.ts';
import { SqliteAudienceStore } from './sqlite/sqlite-audience-store.ts';
import { SqliteCalculatedStore } from './sqlite/sqlite-calculated-store.ts';
import { SqliteCatalogStore } from './sqlite/sqlite-catalog-store.ts';
import { SqliteConnectionStore } from './sqlite/sqlite-connection-store.ts';
import { SqliteConsentStore } from './sqlite/sqlite-consent-store.ts';
import { SqliteDeliveryStore } from './sqlite/sqlite-delivery-store.ts';
import { SqliteDsrStore } from './sqlite/sqlite-dsr-store.ts';
import { SqliteErasureStore } from './sqlite/sqlite-erasure-store.ts';
import { SqliteEventLog } from './sqlite/sqlite-event-log.ts';
import { SqliteIdentityStore } from './sqlite/sqlite-identity-store.ts';
import { SqlitePlanStore } from './sqlite/sqlite-plan-store.ts';
import { SqlitePlatformStore } from './sqlite/sqlite-platform-store.ts';
import { SqliteProfileStore } from './sqlite/sqlite-profile-store.ts';
import { SqliteQualityStore } from './sqlite/sqlite-quality-store.ts';

// The one place that picks an engine for each storage role. Today every role is embedded:
// SQLite files for the log and the state, a DuckDB file for the event store, all in the data dir.

export type StorageConfig = Pick<Config, 'dataDir' | 'log' | 'eventStore'>;

/** The data dir's files. */
export const dataFiles = (config: Pick<Config, 'dataDir'>) => ({
  log: join(config.dataDir, 'log.sqlite'),
  state: join(config.dataDir, 'state.sqlite'),
  events: join(config.dataDir, 'events.duckdb'),
  delivery: join(config.dataDir, 'delivery.sqlite'),
});

interface Opening {
  config: StorageConfig;
  role: StorageRole;
  files: ReturnType<typeof dataFiles>;
  /** Another kind of the same storage (opened once), for a kind one engine serves beside another. */
  open: <K extends keyof StoreKinds>(kind: K) => Promise<StoreKinds[K]>;
}

// A `Checkpointer` thread checkpoints the SQLite files, so no connection does it on commit.
const noAuto = { autoCheckpoint: false };

/** How each kind of store is opened; the compiler lists a kind a capability added without an adapter. */
const ADAPTERS: { [K in keyof StoreKinds]: (o: Opening) => StoreKinds[K] | Promise<StoreKinds[K]> } = {
  // First, so that a command finding the data dir in use (DuckDB's lock) has opened nothing else.
  events: ({ config, role, files }) => {
    // DuckDB allows one process, and Quanta one connection, per file: the processor's.
    if (role === 'app') throw new Error('the event store is opened by the processor thread only; read it through its calls (events.*)');
    return DuckDbEventStore.open(files.events, config.eventStore);
  },
  // The event store's DuckDB file answers the audiences' history queries; closed with the event store.
  audienceHistory: async ({ open }) => {
    const events = (await open('events')) as DuckDbEventStore;
    return { selectUsers: (...args) => events.selectUsers(...args), close: async () => undefined };
  },
  // The processor thread reads and commits the log; only the app thread and the CLI append.
  log: ({ config, role, files }) => new SqliteEventLog({ file: files.log, partitions: config.log.partitions, appends: role !== 'processor', ...noAuto }),
  platform: ({ files }) => new SqlitePlatformStore(files.state, noAuto),
  access: ({ files }) => new SqliteAccessStore(files.state, noAuto),
  identity: ({ files }) => new SqliteIdentityStore(files.state, noAuto),
  profiles: ({ files }) => new SqliteProfileStore(files.state, noAuto),
  plans: ({ files }) => new SqlitePlanStore(files.state, noAuto),
  consent: ({ files }) => new SqliteConsentStore(files.state, noAuto),
  catalog: ({ files }) => new SqliteCatalogStore(files.state, noAuto),
  quality: ({ files }) => new SqliteQualityStore(files.state, noAuto),
  calculated: ({ files }) => new SqliteCalculatedStore(files.state, noAuto),
  audiences: ({ files }) => new SqliteAudienceStore(files.state, noAuto),
  connections: ({ files }) => new SqliteConnectionStore(files.state, noAuto),
  erasure: ({ files }) => new SqliteErasureStore(files.state, noAuto),
  dsr: ({ files }) => new SqliteDsrStore(files.state, noAuto),
  // Its own file: the processor's appends and the deliveries' reads never wait on the state file's writers.
  delivery: ({ files }) => new SqliteDeliveryStore(files.delivery, noAuto),
  // Not a store of Quanta's: the clients of the engines outputs load into (opened per output).
  outputEngines: () => OUTPUT_ENGINES,
};

/** Every kind of store, in the order `quanta migrate` reports them. */
export const STORE_KINDS = Object.keys(ADAPTERS) as (keyof StoreKinds)[];

/**
 * The stores of a data dir for one thread. The app thread and the CLI also run the `Checkpointer`
 * thread for the SQLite files, started when the first of them opens.
 */
export function openStorage(config: StorageConfig, role: StorageRole): Storage {
  const files = dataFiles(config);
  const opening = new Map<keyof StoreKinds, Promise<unknown>>();
  const opened: Partial<StoreKinds> = {};
  const order: (keyof StoreKinds)[] = [];
  let checkpointer: Checkpointer | undefined;
  const startCheckpoints = () => {
    if (checkpointer || role === 'processor') return;
    // Its connections must find the files in WAL mode, so both exist before it starts.
    const sqliteFiles = [files.log, files.state, files.delivery];
    for (const file of sqliteFiles) openSqlite(file).close();
    checkpointer = new Checkpointer(sqliteFiles);
  };
  const storage: Storage = {
    role,
    kinds: () => [...STORE_KINDS],
    opened: () => ({ ...opened }),
    open<K extends keyof StoreKinds>(kind: K): Promise<StoreKinds[K]> {
      let store = opening.get(kind) as Promise<StoreKinds[K]> | undefined;
      if (!store) {
        store = (async () => {
          const adapter = ADAPTERS[kind] as (o: Opening) => StoreKinds[K] | Promise<StoreKinds[K]>;
          const made = await adapter({ config, role, files, open: (k) => storage.open(k) });
          opened[kind] = made;
          order.push(kind);
          if (kind !== 'events') startCheckpoints();
          return made;
        })();
        opening.set(kind, store);
      }
      return store;
    },
    async close() {
      const failures: unknown[] = [];
      for (const kind of order.splice(0).reverse()) {
        try {
          await (opened[kind] as { close(): unknown }).close();
        } catch (error) {
          failures.push(error);
        }
        delete opened[kind];
      }
      opening.clear();
      await checkpointer?.stop();
      checkpointer = undefined;
      if (failures.length > 0) throw new AggregateError(failures, `closing the stores failed: ${failures.map(String).join('; ')}`);
    },
  };
  return storage;
}

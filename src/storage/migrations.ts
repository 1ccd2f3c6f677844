// What the SQLite runner (sqlite/migrate-sqlite.ts, sync: store constructors are) and the DuckDB
// runner (duckdb/migrate-duckdb.ts, async: the engine's API is) share: how a store declares its
// migrations, the table that records how far each store got, and the errors that keep a store
// from opening. Each runner keeps only its engine's loop.

/**
 * One step of a store's schema. `up` is SQL text (any number of statements) or a function of the
 * connection; it runs in a transaction with the version bump and must not commit or roll back.
 * Version 1 is a store's schema as first released, in `IF NOT EXISTS` form so that a data dir made
 * before versioning, which has the tables but no `schema_versions`, adopts it untouched. A
 * released migration is never edited: a change to the schema is a new migration.
 */
export interface Migration<Db, Result = void> {
  readonly version: number;
  readonly description: string;
  readonly up: string | ((db: Db) => Result);
}

/** What the runners need to know of a migration besides running it. */
type Step = Pick<Migration<unknown>, 'version' | 'description'>;

/** What opening a store did to its schema. */
export interface MigrationReport {
  store: string;
  /** The version recorded before (0: none, a store made before versioning or a new file). */
  from: number;
  to: number;
  applied: { version: number; description: string }[];
}

/**
 * One row per store: several stores share a database file (the state file), so the file's own
 * `PRAGMA user_version` cannot hold their versions. The SQL is the same text for both engines.
 */
export const SCHEMA_VERSIONS_SQL = {
  create: 'CREATE TABLE IF NOT EXISTS schema_versions (store TEXT PRIMARY KEY, version INTEGER NOT NULL, applied_at TEXT NOT NULL)',
  select: 'SELECT version FROM schema_versions WHERE store = ?',
  record:
    'INSERT INTO schema_versions (store, version, applied_at) VALUES (?, ?, ?) ' +
    'ON CONFLICT (store) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at',
};

/** Why a store refused to open: a migration failed (and was rolled back), or the data is newer than the code. */
export class MigrationError extends Error {
  constructor(
    readonly store: string,
    readonly version: number,
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

/** The latest version of a list checked by {@link checkMigrations}. */
export const latestVersion = (migrations: readonly Step[]): number => migrations.at(-1)?.version ?? 0;

/** Versions must be 1, 2, 3...: a gap or a swap is a mistake in the code, caught before anything runs. */
export function checkMigrations(store: string, migrations: readonly Step[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${store} store: migration ${i + 1} is numbered ${m.version}; number them 1, 2, 3...`);
  });
}

/** Refuses a database whose recorded version this code does not know. */
export function refuseNewer(store: string, recorded: number, latest: number): void {
  if (recorded <= latest) return;
  throw new MigrationError(
    store,
    recorded,
    `${store} store: its schema is at version ${recorded}, written by a newer Quanta (this one knows up to version ${latest}); ` +
      'upgrade Quanta or use another data dir.',
  );
}

export function migrationFailed(store: string, m: Step, cause: unknown): MigrationError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new MigrationError(
    store,
    m.version,
    `${store} store: migration ${m.version} (${m.description}) failed and was rolled back, so the store was not opened: ${why}`,
    { cause },
  );
}

const listeners = new Set<(report: MigrationReport) => void>();

/**
 * Calls `listener` with the report of every store this thread opens until the returned function
 * is called. `quanta migrate` opens the stores the way Quanta does (`openStores`), which hands
 * back the stores, not what opening them did; this is how it learns that.
 */
export function observeMigrations(listener: (report: MigrationReport) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Called by the runners once a store is at its latest version. */
export function reportMigrations(report: MigrationReport): MigrationReport {
  for (const listener of listeners) listener(report);
  return report;
}

import { existsSync } from 'node:fs';
import type { Config } from '../config/config.ts';
import type { Storage } from '../runtime/storage.ts';
import { type MigrationReport, observeMigrations } from '../storage/migrations.ts';

/** A data dir `quanta migrate` will not touch. */
export class MigrateError extends Error {}

/**
 * Brings every store of the data dir to this code's schema: opening a store migrates it, so this
 * opens every kind `storage` has, and closes them again. `onStore` hears what each store's open
 * did, as it happens, so that what was done before a failure is still told. Quanta must be
 * stopped (the event store is opened exclusively).
 */
export async function migrate(config: Readonly<Config>, storage: Storage, onStore: (report: MigrationReport) => void): Promise<void> {
  // Opening creates what is missing: a mistyped QUANTA_DATA_DIR would become a new, empty data dir.
  if (!existsSync(config.dataDir)) throw new MigrateError(`there is no data dir at ${config.dataDir}; nothing to migrate.`);
  const stopObserving = observeMigrations(onStore);
  try {
    for (const kind of storage.kinds()) await storage.open(kind);
  } finally {
    stopObserving();
    await storage.close();
  }
}

/** What one store's open did, for people: its version before and after, and each migration applied. */
export function describeStore(r: MigrationReport): string[] {
  if (r.applied.length === 0) return [`${r.store}: at version ${r.to}, current`];
  return [`${r.store}: from version ${r.from} to ${r.to}`, ...r.applied.map((m) => `  ${m.version}: ${m.description}`)];
}

export function describeAll(reports: readonly MigrationReport[], dataDir: string): string {
  const migrated = reports.filter((r) => r.applied.length > 0).length;
  if (migrated === 0) return `Every store was current; nothing to migrate (data dir ${dataDir}).`;
  return `Migrated ${migrated} of ${reports.length} stores (data dir ${dataDir}).`;
}

import {
  checkMigrations,
  latestVersion,
  type Migration,
  MigrationError,
  type MigrationReport,
  migrationFailed,
  refuseNewer,
  reportMigrations,
  SCHEMA_VERSIONS_SQL,
} from '../migrations.ts';
import { openSqlite, type Sqlite, type SqliteOptions } from './open.ts';

export type SqliteMigration = Migration<Sqlite>;

/**
 * Brings `store`'s schema in this SQLite file to the latest of `migrations` (see ../migrations.ts),
 * each pending migration in its own transaction with its version bump. Throws a
 * {@link MigrationError} when one fails (it is rolled back) or the file is newer than the code.
 */
export function migrateSqlite(db: Sqlite, store: string, migrations: readonly SqliteMigration[]): MigrationReport {
  checkMigrations(store, migrations);
  const latest = latestVersion(migrations);
  // Read without a lock: a store that is current, as on nearly every open, takes no write lock.
  const from = recordedVersion(db, store);
  refuseNewer(store, from, latest);
  const applied: MigrationReport['applied'] = [];
  for (const m of migrations.slice(from)) {
    if (applyOnce(db, store, m, latest)) applied.push({ version: m.version, description: m.description });
  }
  return reportMigrations({ store, from, to: latest, applied });
}

/** Opens a store's file ({@link openSqlite}) and migrates it; a file that cannot be migrated is closed again. */
export function openSqliteStore(file: string, store: string, migrations: readonly SqliteMigration[], options: SqliteOptions = {}): Sqlite {
  const db = openSqlite(file, options);
  try {
    migrateSqlite(db, store, migrations);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Applies `m` unless another connection did meanwhile; true if this one did. The app's and the
 * processor's threads open the same file at once: `BEGIN IMMEDIATE` takes the file's write lock
 * (waiting out the other's, `busy_timeout`) before the version is read again, so one of them
 * applies each migration and the other finds it done. `schema_versions` is created in the same
 * transaction, so a file whose first migration fails is left as it was found.
 */
function applyOnce(db: Sqlite, store: string, m: SqliteMigration, latest: number): boolean {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(SCHEMA_VERSIONS_SQL.create);
    const current = recordedVersion(db, store);
    refuseNewer(store, current, latest);
    const pending = current < m.version;
    if (pending) {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      db.prepare(SCHEMA_VERSIONS_SQL.record).run(store, m.version, new Date().toISOString());
    }
    db.exec('COMMIT');
    return pending;
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error instanceof MigrationError ? error : migrationFailed(store, m, error);
  }
}

function recordedVersion(db: Sqlite, store: string): number {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions'").get() !== undefined;
  return exists ? ((db.prepare(SCHEMA_VERSIONS_SQL.select).pluck().get(store) as number | undefined) ?? 0) : 0;
}

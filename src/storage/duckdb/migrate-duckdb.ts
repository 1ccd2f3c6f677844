import type { DuckDBConnection } from '@duckdb/node-api';
import {
  checkMigrations,
  latestVersion,
  type Migration,
  type MigrationReport,
  migrationFailed,
  refuseNewer,
  reportMigrations,
  SCHEMA_VERSIONS_SQL,
} from '../migrations.ts';

export type DuckDbMigration = Migration<DuckDBConnection, Promise<void>>;

/**
 * Brings `store`'s schema in this DuckDB file to the latest of `migrations` (see ../migrations.ts),
 * each pending migration in its own transaction with its version bump. Throws a `MigrationError`
 * when one fails (it is rolled back) or the file is newer than the code.
 *
 * Unlike SQLite's runner, nothing is re-read inside the transaction: DuckDB lets one process open
 * a file for writing, and Quanta opens it once (the processor's thread, or the CLI), so no other
 * connection can be migrating the same file.
 */
export async function migrateDuckDb(conn: DuckDBConnection, store: string, migrations: readonly DuckDbMigration[]): Promise<MigrationReport> {
  checkMigrations(store, migrations);
  const latest = latestVersion(migrations);
  await conn.run(SCHEMA_VERSIONS_SQL.create);
  const from = await recordedVersion(conn, store);
  refuseNewer(store, from, latest);
  const applied: MigrationReport['applied'] = [];
  for (const m of migrations.slice(from)) {
    await conn.run('BEGIN TRANSACTION');
    try {
      if (typeof m.up === 'string') await conn.run(m.up);
      else await m.up(conn);
      await conn.run(SCHEMA_VERSIONS_SQL.record, [store, m.version, new Date().toISOString()]);
      await conn.run('COMMIT');
    } catch (error) {
      // A COMMIT that fails has already ended the transaction, and then ROLLBACK fails too; the
      // migration's own error is the one to report.
      await conn.run('ROLLBACK').catch(() => undefined);
      throw migrationFailed(store, m, error);
    }
    applied.push({ version: m.version, description: m.description });
  }
  return reportMigrations({ store, from, to: latest, applied });
}

async function recordedVersion(conn: DuckDBConnection, store: string): Promise<number> {
  const rows = (await conn.runAndReadAll(SCHEMA_VERSIONS_SQL.select, [store])).getRowObjectsJS();
  return Number(rows[0]?.version ?? 0);
}

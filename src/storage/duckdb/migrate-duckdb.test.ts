import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { type DuckDbMigration, migrateDuckDb } from './migrate-duckdb.ts';

const MIGRATIONS: DuckDbMigration[] = [
  { version: 1, description: 'things', up: 'CREATE TABLE IF NOT EXISTS things (id INTEGER, name VARCHAR NOT NULL)' },
  { version: 2, description: 'a first thing', up: "INSERT INTO things VALUES (1, 'first')" },
  {
    version: 3,
    description: 'things.kind, from a function',
    up: async (conn) => {
      await conn.run('ALTER TABLE things ADD COLUMN kind VARCHAR');
    },
  },
];

// The SQLite runner's tests (../sqlite/migrate-sqlite.test.ts) cover the shared rules at length;
// these check that the DuckDB loop keeps them.
describe('migrateDuckDb', () => {
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  const rows = async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS();

  beforeEach(async () => {
    instance = await DuckDBInstance.create(join(tempDir('migrate-duckdb'), 'events.duckdb'));
    conn = await instance.connect();
  });
  afterEach(() => {
    conn.closeSync();
    instance.closeSync();
  });

  it('applies the pending migrations in order, once', async () => {
    expect(await migrateDuckDb(conn, 'events', MIGRATIONS.slice(0, 2))).toMatchObject({ from: 0, to: 2, applied: [{ version: 1 }, { version: 2 }] });
    expect(await migrateDuckDb(conn, 'events', MIGRATIONS)).toEqual({
      store: 'events',
      from: 2,
      to: 3,
      applied: [{ version: 3, description: 'things.kind, from a function' }],
    });
    expect(await migrateDuckDb(conn, 'events', MIGRATIONS)).toMatchObject({ from: 3, applied: [] });
    expect(await rows('SELECT name, kind FROM things')).toEqual([{ name: 'first', kind: null }]);
    expect(await rows('SELECT store, version FROM schema_versions')).toEqual([{ store: 'events', version: 3 }]);
  });

  it('rolls a failing migration back whole and names the store, the version and the cause', async () => {
    const failing: DuckDbMigration[] = [
      MIGRATIONS[0]!,
      { version: 2, description: 'a broken one', up: "INSERT INTO things VALUES (1, 'lost'); CREATE TABLE half (x INTEGER); SELECT nope FROM things" },
    ];
    await expect(migrateDuckDb(conn, 'events', failing)).rejects.toThrow(
      /^events store: migration 2 \(a broken one\) failed and was rolled back, so the store was not opened: Binder Error: .*"nope"/,
    );
    expect(await rows('SELECT count(*)::INTEGER AS n FROM things')).toEqual([{ n: 0 }]);
    expect(await rows("SELECT table_name FROM information_schema.tables WHERE table_name = 'half'")).toEqual([]);
    expect(await rows('SELECT version FROM schema_versions')).toEqual([{ version: 1 }]);
  });

  it('refuses a file whose recorded version is newer than the code', async () => {
    await migrateDuckDb(conn, 'events', MIGRATIONS);
    await expect(migrateDuckDb(conn, 'events', MIGRATIONS.slice(0, 1))).rejects.toThrow(
      'events store: its schema is at version 3, written by a newer Quanta (this one knows up to version 1); upgrade Quanta or use another data dir.',
    );
  });
});

import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { MigrationError, type MigrationReport } from '../migrations.ts';
import { migrateSqlite, openSqliteStore, type SqliteMigration } from './migrate-sqlite.ts';
import { openSqlite, type Sqlite } from './open.ts';

// Each migration leaves a trace in `runs`, so a test sees which ran and how often.
const MIGRATIONS: SqliteMigration[] = [
  { version: 1, description: 'things', up: 'CREATE TABLE IF NOT EXISTS things (id INTEGER PRIMARY KEY, name TEXT NOT NULL); CREATE TABLE runs (version INTEGER NOT NULL)' },
  { version: 2, description: 'a first thing', up: "INSERT INTO things (name) VALUES ('first'); INSERT INTO runs VALUES (2)" },
  {
    version: 3,
    description: 'things.kind, from a function',
    up: (db) => {
      db.exec("ALTER TABLE things ADD COLUMN kind TEXT NOT NULL DEFAULT 'plain'");
      db.prepare('INSERT INTO runs VALUES (?)').run(3);
    },
  },
];

const newFile = () => join(tempDir('migrate-sqlite'), 'state.sqlite');
const versionOf = (db: Sqlite, store: string) => db.prepare('SELECT version FROM schema_versions WHERE store = ?').pluck().get(store);
const tables = (db: Sqlite) => db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();

describe('migrateSqlite', () => {
  const open: Sqlite[] = [];
  const connect = (file: string) => {
    const db = openSqlite(file);
    open.push(db);
    return db;
  };
  afterEach(() => {
    for (const db of open.splice(0)) db.close();
  });

  it('applies the pending migrations in order, records the version and reports what it did', () => {
    const db = connect(newFile());
    expect(migrateSqlite(db, 'things', MIGRATIONS)).toEqual({
      store: 'things',
      from: 0,
      to: 3,
      applied: [
        { version: 1, description: 'things' },
        { version: 2, description: 'a first thing' },
        { version: 3, description: 'things.kind, from a function' },
      ],
    });
    expect(db.prepare('SELECT name, kind FROM things').all()).toEqual([{ name: 'first', kind: 'plain' }]);
    expect(versionOf(db, 'things')).toBe(3);
    expect(db.prepare('SELECT applied_at FROM schema_versions').pluck().get()).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('applies nothing to a store that is current, and only the new ones to one that is behind', () => {
    const file = newFile();
    migrateSqlite(connect(file), 'things', MIGRATIONS.slice(0, 2));
    const db = connect(file);
    expect(migrateSqlite(db, 'things', MIGRATIONS)).toMatchObject({ from: 2, to: 3, applied: [{ version: 3 }] });
    expect(migrateSqlite(db, 'things', MIGRATIONS)).toEqual({ store: 'things', from: 3, to: 3, applied: [] });
    expect(db.prepare('SELECT version FROM runs').pluck().all()).toEqual([2, 3]);
  });

  it('keeps one version per store in a file several stores share', () => {
    const db = connect(newFile());
    migrateSqlite(db, 'things', MIGRATIONS);
    const other: SqliteMigration[] = [{ version: 1, description: 'others', up: 'CREATE TABLE IF NOT EXISTS others (id INTEGER PRIMARY KEY)' }];
    expect(migrateSqlite(db, 'others', other)).toMatchObject({ from: 0, to: 1 });
    expect(db.prepare('SELECT store, version FROM schema_versions ORDER BY store').all()).toEqual([
      { store: 'others', version: 1 },
      { store: 'things', version: 3 },
    ]);
  });

  it('adopts version 1 for tables made before versioning, without touching their rows', () => {
    const db = connect(newFile());
    db.exec("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL); INSERT INTO things (name) VALUES ('old')");
    const v1: SqliteMigration[] = [{ version: 1, description: 'things', up: 'CREATE TABLE IF NOT EXISTS things (id INTEGER PRIMARY KEY, name TEXT NOT NULL)' }];
    expect(migrateSqlite(db, 'things', v1)).toMatchObject({ from: 0, to: 1, applied: [{ version: 1 }] });
    expect(db.prepare('SELECT name FROM things').pluck().all()).toEqual(['old']);
  });

  it('rolls a failing migration back whole, keeps the version before it and names the store, the version and the cause', () => {
    const db = connect(newFile());
    const failing: SqliteMigration[] = [
      ...MIGRATIONS.slice(0, 2),
      { version: 3, description: 'a broken one', up: "CREATE TABLE half (x); INSERT INTO things (name) VALUES ('second'); INSERT INTO nowhere VALUES (1)" },
      { version: 4, description: 'after it', up: 'INSERT INTO runs VALUES (4)' },
    ];
    const error = catchError(() => migrateSqlite(db, 'things', failing));
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ store: 'things', version: 3 });
    expect((error as Error).message).toBe(
      'things store: migration 3 (a broken one) failed and was rolled back, so the store was not opened: no such table: nowhere',
    );
    expect(db.inTransaction).toBe(false);
    expect(tables(db)).not.toContain('half');
    expect(db.prepare('SELECT name FROM things').pluck().all()).toEqual(['first']);
    expect(db.prepare('SELECT version FROM runs').pluck().all()).toEqual([2]);
    expect(versionOf(db, 'things')).toBe(2);
    // Fixed, it applies from where it stopped.
    expect(migrateSqlite(db, 'things', MIGRATIONS)).toMatchObject({ from: 2, applied: [{ version: 3 }] });
  });

  it('leaves a file whose first migration fails as it found it, and closes the connection it opened', () => {
    const file = newFile();
    const broken: SqliteMigration[] = [{ version: 1, description: 'broken', up: () => { throw new Error('no luck'); } }];
    expect(() => openSqliteStore(file, 'things', broken)).toThrow('things store: migration 1 (broken) failed and was rolled back, so the store was not opened: no luck');
    expect(tables(connect(file))).toEqual([]);
  });

  it('refuses a store whose recorded version is newer than the code, and changes nothing', () => {
    const file = newFile();
    migrateSqlite(connect(file), 'things', MIGRATIONS);
    const db = connect(file);
    expect(() => migrateSqlite(db, 'things', MIGRATIONS.slice(0, 2))).toThrow(
      'things store: its schema is at version 3, written by a newer Quanta (this one knows up to version 2); upgrade Quanta or use another data dir.',
    );
    expect(versionOf(db, 'things')).toBe(3);
  });

  it('refuses a list numbered otherwise than 1, 2, 3...', () => {
    const db = connect(newFile());
    expect(() => migrateSqlite(db, 'things', [MIGRATIONS[0]!, MIGRATIONS[2]!])).toThrow(/migration 2 is numbered 3/);
    expect(tables(db)).toEqual([]);
  });

  it('applies each migration exactly once when connections on several threads open the file at once', async () => {
    const file = newFile();
    // A slow first migration (a counting loop), so that the others wait on its lock rather than find it done.
    const slow = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT count(*) FROM c';
    const sql = [
      { version: 1, description: 'runs', up: `CREATE TABLE runs (version INTEGER NOT NULL); ${slow}; INSERT INTO runs VALUES (1)` },
      ...[2, 3, 4].map((version) => ({ version, description: `step ${version}`, up: `INSERT INTO runs VALUES (${version})` })),
    ];
    const reports = await migrateOnThreads(file, sql, 4);
    expect(reports.map((r) => r.to)).toEqual([4, 4, 4, 4]);
    const applied = reports.flatMap((r) => r.applied.map((a) => a.version)).sort();
    expect(applied).toEqual([1, 2, 3, 4]);
    expect(connect(file).prepare('SELECT version FROM runs ORDER BY rowid').pluck().all()).toEqual([1, 2, 3, 4]);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

/**
 * Runs `migrateSqlite` on `threads` worker threads, each with its own connection, released at
 * the same moment once all have loaded the runner.
 */
async function migrateOnThreads(file: string, migrations: SqliteMigration[], threads: number): Promise<MigrationReport[]> {
  const entry = new URL('../../kernel/typescript-entry.mjs', import.meta.url).href;
  const runner = new URL('./migrate-sqlite.ts', import.meta.url).href;
  const opener = new URL('./open.ts', import.meta.url).href;
  const go = new Int32Array(new SharedArrayBuffer(4));
  const code = `
    import { parentPort, workerData } from 'node:worker_threads';
    const { importTypeScript } = await import(${JSON.stringify(entry)});
    const { migrateSqlite } = await importTypeScript(new URL(${JSON.stringify(runner)}));
    const { openSqlite } = await importTypeScript(new URL(${JSON.stringify(opener)}));
    const db = openSqlite(workerData.file);
    parentPort.postMessage('ready');
    Atomics.wait(workerData.go, 0, 0);
    try {
      parentPort.postMessage(migrateSqlite(db, 'runs', workerData.migrations));
    } finally {
      db.close();
    }`;
  const workers = Array.from({ length: threads }, () => new Worker(code, { eval: true, workerData: { file, migrations, go } }));
  const message = (w: Worker) =>
    new Promise<unknown>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  try {
    await Promise.all(workers.map(message));
    const reports = Promise.all(workers.map(message));
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    return (await reports) as MigrationReport[];
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

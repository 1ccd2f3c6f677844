import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { unpackDataDir01 } from '../../test/fixtures/data-dir-0.1/unpack.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { EVENT_STORE_MIGRATIONS } from '../storage/duckdb/event-store-sql.ts';
import { latestVersion } from '../storage/migrations.ts';
import { CATALOG_MIGRATIONS } from '../storage/sqlite/sqlite-catalog-store.ts';
import { LOG_MIGRATIONS } from '../storage/sqlite/sqlite-event-log.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

const quantaMigrate = (dataDir: string) =>
  spawnSync(process.execPath, ['bin/quanta.js', 'migrate'], { cwd: root, env: { ...process.env, QUANTA_DATA_DIR: dataDir }, encoding: 'utf8' });

const STORES = ['events', 'log', 'platform', 'access', 'identity', 'profiles', 'plans', 'consent', 'catalog', 'quality', 'calculated', 'audiences', 'connections', 'erasure', 'dsr', 'delivery'];

describe('quanta migrate', () => {
  it('migrates a data dir made before versioning, saying what it did per store, and then finds everything current', () => {
    const dataDir = unpackDataDir01();
    const out = quantaMigrate(dataDir);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    const events = lines.indexOf(`events: from version 0 to ${latestVersion(EVENT_STORE_MIGRATIONS)}`);
    expect(lines.slice(events + 1, events + 1 + EVENT_STORE_MIGRATIONS.length)).toEqual(EVENT_STORE_MIGRATIONS.map((m) => `  ${m.version}: ${m.description}`));
    const log = lines.indexOf(`log: from version 0 to ${latestVersion(LOG_MIGRATIONS)}`);
    expect(lines.slice(log + 1, log + 1 + LOG_MIGRATIONS.length)).toEqual(LOG_MIGRATIONS.map((m) => `  ${m.version}: ${m.description}`));
    for (const store of STORES) expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${store}: from version 0 to \\d+$`)));
    expect(lines.at(-1)).toBe(`Migrated ${STORES.length} of ${STORES.length} stores (data dir ${dataDir}).`);

    const again = quantaMigrate(dataDir);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`catalog: at version ${latestVersion(CATALOG_MIGRATIONS)}, current\n`);
    expect(again.stdout.trimEnd().split('\n')).toEqual([
      ...STORES.map((store) => expect.stringMatching(new RegExp(`^${store}: at version \\d+, current$`))),
      `Every store was current; nothing to migrate (data dir ${dataDir}).`,
    ]);
  });

  it('leaves a data dir in use alone, and says to stop Quanta first', async () => {
    const dataDir = unpackDataDir01();
    // What a running Quanta holds: the event store's file, opened for writing.
    const running = await DuckDBInstance.create(join(dataDir, 'events.duckdb'));
    try {
      const out = quantaMigrate(dataDir);
      expect(out.status).toBe(1);
      expect(out.stderr).toBe(`quanta migrate: the data dir ${dataDir} is in use. Stop the running Quanta first, then migrate.\n`);
      expect(out.stdout).toBe('');
    } finally {
      running.closeSync();
    }
  });

  it('refuses a data dir written by a newer Quanta, naming the store', () => {
    const dataDir = unpackDataDir01();
    const db = new Database(join(dataDir, 'state.sqlite'));
    db.exec("CREATE TABLE schema_versions (store TEXT PRIMARY KEY, version INTEGER NOT NULL, applied_at TEXT NOT NULL); INSERT INTO schema_versions VALUES ('catalog', 99, 'later')");
    db.close();
    const out = quantaMigrate(dataDir);
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/^quanta migrate failed: catalog store: its schema is at version 99, written by a newer Quanta .*; upgrade Quanta or use another data dir\.\n$/);
  });

  it('creates no data dir where there is none', () => {
    const missing = join(tempDir('migrate'), 'typo');
    const out = quantaMigrate(missing);
    expect(out.status).toBe(1);
    expect(out.stderr).toBe(`quanta migrate: there is no data dir at ${missing}; nothing to migrate.\n`);
  });
});

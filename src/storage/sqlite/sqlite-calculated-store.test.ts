import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { definitionOf } from '../../calculated/test-batches.ts';
import { newState } from '../../calculated/windows.ts';
import { workspaceId, type Mpid } from '../../kernel/ids.ts';
import { calculatedStoreContract } from '../contracts/calculated-store.contract.ts';
import { openSqliteStore } from './migrate-sqlite.ts';
import { openSqlite } from './open.ts';
import { CALCULATED_MIGRATIONS, SqliteCalculatedStore } from './sqlite-calculated-store.ts';

calculatedStoreContract('SQLite', async (file) => new SqliteCalculatedStore(file), () => join(tempDir('calculated'), 'state.sqlite'));

describe('SqliteCalculatedStore migrations', () => {
  it('moves the live states of schema 1 (one document per user) to one row per user and attribute', async () => {
    const file = join(tempDir('calculated-v1'), 'state.sqlite');
    const v1 = openSqliteStore(file, 'calculated', CALCULATED_MIGRATIONS.slice(0, 1));
    const state = (n: number) => ({ calculation_type: 'count', base: { n }, buckets: [] });
    v1.prepare('INSERT INTO ca_live (workspace_id, mpid, doc) VALUES (?, ?, ?)').run(1, '-42', JSON.stringify({ 3: { revision: 2, state: state(5) }, 7: { revision: 1, state: state(1) } }));
    v1.close();
    const store = new SqliteCalculatedStore(file);
    try {
      const users = await store.users(workspaceId(1), ['-42' as Mpid]);
      expect(users.get('-42' as Mpid)?.live).toEqual(new Map([[3, { revision: 2, state: state(5) }], [7, { revision: 1, state: state(1) }]]));
    } finally {
      await store.close();
    }
  });
});

describe('SqliteCalculatedStore eraseUsers', () => {
  it("leaves no row of the user's in the file", async () => {
    const file = join(tempDir('calculated-erase'), 'state.sqlite');
    const ws = workspaceId(1);
    const [gone, stays] = ['-8' as Mpid, '9' as Mpid];
    const store = new SqliteCalculatedStore(file);
    const state = newState(definitionOf('count'));
    await store.record({ live: [gone, stays].map((mpid) => ({ workspaceId: ws, mpid, id: 1, revision: 1, state })), offsets: new Map() });
    await store.putSeeds(ws, [{ id: 1, mpid: gone, state }, { id: 1, mpid: stays, state }]);
    await store.eraseUsers(ws, [gone]);
    await store.close();
    const db = openSqlite(file);
    try {
      for (const table of ['ca_live', 'ca_base', 'ca_seeds']) {
        expect(db.prepare(`SELECT count(*) FROM ${table} WHERE mpid = ?`).pluck().get(gone)).toBe(0);
      }
      expect(db.prepare('SELECT count(*) FROM ca_live WHERE mpid = ?').pluck().get(stays)).toBe(1);
    } finally {
      db.close();
    }
  });
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { workspaceId, type Mpid } from '../../kernel/ids.ts';
import { calculatedStoreContract } from '../contracts/calculated-store.contract.ts';
import { openSqliteStore } from './migrate-sqlite.ts';
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

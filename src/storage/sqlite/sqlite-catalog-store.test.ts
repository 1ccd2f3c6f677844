import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogStoreContract } from '../contracts/catalog-store.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { type Mpid, workspaceId } from '../../kernel/ids.ts';
import { openSqlite } from './open.ts';
import { ERASE_USER_SQL, SqliteCatalogStore } from './sqlite-catalog-store.ts';

catalogStoreContract('SQLite', async (file) => new SqliteCatalogStore(file), () => join(tempDir('catalog'), 'state.sqlite'));

describe('SqliteCatalogStore eraseUsers', () => {
  it("finds the user's examples by index and leaves none of them, nor the user's MPID, in the file", async () => {
    const file = join(tempDir('catalog-erase'), 'state.sqlite');
    const store = new SqliteCatalogStore(file);
    const attribute = { name: 'email', count: 2, firstSeenMs: 1, lastSeenMs: 1, types: ['string' as const], examples: ['gone@example.com', 'stays@example.com'], exampleSources: ['-5', '6'] as Mpid[] };
    await store.apply(
      [{ workspaceId: workspaceId(1), key: 'user_attributes', match: { type: 'user_attributes' }, category: 'user_information', name: 'user_attributes', count: 2, firstSeenMs: 1, lastSeenMs: 1, environments: ['production'], attributes: [attribute] }],
      new Map(),
    );
    await store.eraseUsers(workspaceId(1), ['-5' as Mpid]);
    await store.close();
    const db = openSqlite(file);
    try {
      expect(db.prepare('SELECT examples FROM catalog_attributes').pluck().all()).toEqual(['["stays@example.com"]']);
      expect(db.prepare('SELECT mpid FROM catalog_example_sources').pluck().all()).toEqual(['6']);
      for (const sql of Object.values(ERASE_USER_SQL)) {
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(1, '5') as { detail: string }[]).map((r) => r.detail);
        expect(plan).toEqual([expect.stringMatching(/^SEARCH catalog_example_sources USING (COVERING |PRIMARY KEY )?(INDEX \w+ )?\(workspace_id=\? AND mpid=\?\)$/)]);
      }
    } finally {
      db.close();
    }
  });
});

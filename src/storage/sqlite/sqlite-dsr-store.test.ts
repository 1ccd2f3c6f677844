import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { dsrStoreContract } from '../contracts/dsr-store.contract.ts';
import { openSqlite } from './open.ts';
import { DUE_CALLBACKS_SQL, SqliteDsrStore } from './sqlite-dsr-store.ts';

dsrStoreContract('SQLite', async (file) => new SqliteDsrStore(file), () => join(tempDir('dsr'), 'state.sqlite'));

describe('SqliteDsrStore', () => {
  it('finds due callbacks through the open-callbacks index', async () => {
    const file = join(tempDir('dsr-plan'), 'state.sqlite');
    await new SqliteDsrStore(file).close();
    const db = openSqlite(file);
    try {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${DUE_CALLBACKS_SQL}`).all(0, 10) as { detail: string }[]).map((r) => r.detail);
      expect(plan.join('\n')).toMatch(/dsr_callbacks_open/);
    } finally {
      db.close();
    }
  });
});

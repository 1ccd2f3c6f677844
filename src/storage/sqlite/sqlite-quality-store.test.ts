import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { qualityStoreContract } from '../contracts/quality-store.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { inputId, type Mpid, workspaceId } from '../../kernel/ids.ts';
import { openSqlite } from './open.ts';
import { ERASE_USER_SQL, SqliteQualityStore } from './sqlite-quality-store.ts';

qualityStoreContract('SQLite', async (file) => new SqliteQualityStore(file), () => join(tempDir('quality'), 'state.sqlite'));

describe('SqliteQualityStore eraseUsers', () => {
  it("deletes the user's blocked batches from the index by user, leaving none in the file", async () => {
    const file = join(tempDir('quality-erase'), 'state.sqlite');
    const store = new SqliteQualityStore(file);
    const metadata = { dto_version: 1 as const, blocked_user_identities: [], blocked_device_identities: [], blocked_event_ids: [], blocked_event_attributes: [], blocked_user_attributes: ['email'] };
    const batch = (mpid: string, offset: number) => ({
      workspaceId: workspaceId(1), inputId: inputId(1), mpid: mpid as Mpid, planId: 'p', version: 1, partition: 0, offset, receivedAtMs: 1, wholeBatch: true, metadata,
    });
    await store.record({ blocked: [batch('-91', 1), batch('92', 2)], violations: [], offsets: new Map() });
    await store.eraseUsers(workspaceId(1), ['-91' as Mpid]);
    await store.close();
    const db = openSqlite(file);
    try {
      expect(db.prepare('SELECT mpid FROM quarantine').pluck().all()).toEqual(['92']);
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${ERASE_USER_SQL}`).all(1, '5') as { detail: string }[]).map((r) => r.detail);
      expect(plan).toEqual(['SEARCH quarantine USING INDEX quarantine_by_user (workspace_id=? AND mpid=?)']);
    } finally {
      db.close();
    }
  });
});

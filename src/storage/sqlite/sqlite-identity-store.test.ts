import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { identityStoreContract } from '../contracts/identity-store.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { type Mpid, parseMpid, workspaceId } from '../../kernel/ids.ts';
import { openSqlite } from './open.ts';
import { ERASE_USER_SQL, SqliteIdentityStore } from './sqlite-identity-store.ts';

identityStoreContract('SQLite', async (file) => new SqliteIdentityStore(file), () => join(tempDir('identity'), 'state.sqlite'));

describe('SqliteIdentityStore eraseUsers', () => {
  const reason = { operation: 'identify', strategy: 'profile_conversion', source: 'identity_api', detail: 'test' } as const;

  it("leaves no row naming the user in the file, and finds each of the user's rows by index", async () => {
    const file = join(tempDir('identity-erase'), 'state.sqlite');
    const ws = workspaceId(1);
    const [gone, stays] = [parseMpid('-31') as Mpid, parseMpid('32') as Mpid];
    const store = new SqliteIdentityStore(file);
    const record = (mpid: Mpid) => ({ workspaceId: ws, mpid, identities: { email: `${mpid}@example.com` }, createdAtMs: 1, updatedAtMs: 1 });
    const event = (mpid: Mpid) => ({ workspaceId: ws, mpid, atMs: 1, action: 'created' as const, type: null, value: null, previousValue: null, reason });
    await store.save([record(gone), record(stays)], [event(gone), event(stays)]);
    await store.saveAlias({ id: 'a', workspaceId: ws, sourceMpid: stays, destinationMpid: gone, startMs: 1, endMs: 2, requestedAtMs: 3, dueAtMs: 4, status: 'pending', detail: null }, []);
    await store.eraseUsers(ws, [gone]);
    await store.close();
    const db = openSqlite(file);
    try {
      const count = (sql: string) => db.prepare(sql).pluck().get(gone) as number;
      expect(count('SELECT count(*) FROM identity_records WHERE mpid = ?')).toBe(0);
      expect(count('SELECT count(*) FROM identity_events WHERE mpid = ?')).toBe(0);
      expect(count('SELECT count(*) FROM alias_requests WHERE instr(doc, ?) > 0')).toBe(0);
      expect(db.prepare('SELECT count(*) FROM identity_records').pluck().get()).toBe(1);
      for (const sql of ERASE_USER_SQL) {
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(1, '5') as { detail: string }[]).map((r) => r.detail);
        expect(plan).toEqual([expect.stringMatching(/^SEARCH /)]);
      }
    } finally {
      db.close();
    }
  });
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { type Mpid, parseMpid, workspaceId } from '../../kernel/ids.ts';
import { audienceStoreContract } from '../contracts/audience-store.contract.ts';
import { SCHEMA_VERSIONS_SQL } from '../migrations.ts';
import { openSqlite } from './open.ts';
import { AUDIENCE_MIGRATIONS, DUE_SQL, ERASE_USER_SQL, MEMBERSHIPS_OF_SQL, SqliteAudienceStore } from './sqlite-audience-store.ts';

audienceStoreContract('SQLite', async (file) => new SqliteAudienceStore(file), () => join(tempDir('audiences'), 'state.sqlite'));

describe('SqliteAudienceStore', () => {
  it('finds due users from the partial index on their due time, with no scan and no sort', async () => {
    const file = join(tempDir('audiences-plan'), 'state.sqlite');
    await new SqliteAudienceStore(file).close();
    const db = openSqlite(file);
    try {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${DUE_SQL}`).all(0, 10) as { detail: string }[]).map((r) => r.detail);
      // One step: a search of the index bounded by the time (no SCAN, no "USE TEMP B-TREE FOR ORDER BY").
      expect(plan).toEqual([expect.stringMatching(/^SEARCH au_users USING (COVERING )?INDEX au_users_due \(.*due_ms<\?\)$/)]);
    } finally {
      db.close();
    }
  });

  it('reads a user\'s memberships from the index by user', async () => {
    const file = join(tempDir('audiences-plan'), 'state.sqlite');
    await new SqliteAudienceStore(file).close();
    const db = openSqlite(file);
    try {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${MEMBERSHIPS_OF_SQL}`).all(1, '5') as { detail: string }[]).map((r) => r.detail);
      expect(plan[0]).toBe('SEARCH m USING COVERING INDEX au_members_of_user (workspace_id=? AND mpid=?)');
      expect(plan[1]).toMatch(/^SEARCH a USING INTEGER PRIMARY KEY/);
    } finally {
      db.close();
    }
  });

  it("erases a user by index, leaving no row naming the user in the file", async () => {
    const file = join(tempDir('audiences-erase'), 'state.sqlite');
    const store = new SqliteAudienceStore(file);
    const ws = workspaceId(1);
    const [gone, stays] = [parseMpid('-71') as Mpid, parseMpid('72') as Mpid];
    const a = await store.create(ws, { name: 'a', description: null, kind: 'realtime', definition: { and: [] }, created_on: '', created_by: '', last_modified_on: null, last_modified_by: null, is_active: true, activated_on: null, revision: 1 });
    if (a === 'name-taken') throw new Error('name taken');
    const user = (mpid: Mpid) => ({ workspaceId: ws, mpid, events: {}, identities: { email: `${mpid}@example.com` }, memberships: { [a.id]: 1 }, dueMs: 5 });
    const change = (mpid: Mpid) => ({ workspaceId: ws, audienceId: a.id, mpid, change: 'added' as const, atMs: 1 });
    await store.record({ users: [user(gone), user(stays)], changes: [change(gone), change(stays)], offsets: new Map() });
    await store.eraseUsers(ws, [gone]);
    await store.close();
    const db = openSqlite(file);
    try {
      for (const table of ['au_users', 'au_members', 'au_changes']) {
        expect(db.prepare(`SELECT count(*) FROM ${table} WHERE mpid = ?`).pluck().get(gone)).toBe(0);
        expect(db.prepare(`SELECT count(*) FROM ${table} WHERE mpid = ?`).pluck().get(stays)).toBe(1);
      }
      for (const sql of Object.values(ERASE_USER_SQL)) {
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(1, '5') as { detail: string }[]).map((r) => r.detail);
        expect(plan).toEqual([expect.stringMatching(/^SEARCH \w+ USING (COVERING )?INDEX \w+ \(workspace_id=\? AND mpid=\?\)$/)]);
      }
    } finally {
      db.close();
    }
  });

  it("migrates users' states from schema 1 (au_users WITHOUT ROWID) to 2 (a rowid table), keeping them and their due times", async () => {
    const file = join(tempDir('audiences-v1'), 'state.sqlite');
    const db = openSqlite(file);
    db.exec(SCHEMA_VERSIONS_SQL.create);
    db.exec(AUDIENCE_MIGRATIONS[0]!.up as string);
    db.prepare(SCHEMA_VERSIONS_SQL.record).run('audiences', 1, '2026-12-01T00:00:00Z');
    const doc = { events: { '1.1.0': { n: 2, recent: [5, 4] } }, identities: { email: 'a@example.com' }, memberships: { 1: 9 } };
    db.prepare('INSERT INTO au_users (workspace_id, mpid, doc, due_ms) VALUES (1, ?, ?, ?)').run('-5', JSON.stringify(doc), 1234);
    db.close();
    const store = new SqliteAudienceStore(file);
    try {
      const u = parseMpid('-5') as Mpid;
      expect((await store.users(workspaceId(1), [u])).get(u)).toEqual({ workspaceId: 1, mpid: u, ...doc, dueMs: 1234 });
      expect(await store.due(2000, 10)).toEqual([{ workspaceId: 1, mpid: u }]);
    } finally {
      await store.close();
    }
  });

  it('hands out seqs after a reset that follow every seq handed out before it', async () => {
    const store = new SqliteAudienceStore(join(tempDir('audiences-seq'), 'state.sqlite'));
    try {
      const ws = workspaceId(1);
      const a = await store.create(ws, { name: 'a', description: null, kind: 'realtime', definition: { and: [] }, created_on: '', created_by: '', last_modified_on: null, last_modified_by: null, is_active: true, activated_on: null, revision: 1 });
      if (a === 'name-taken') throw new Error('name taken');
      const change = (mpid: string) => ({ workspaceId: ws, audienceId: a.id, mpid: parseMpid(mpid) as Mpid, change: 'added' as const, atMs: 1 });
      await store.record({ users: [], changes: [change('1'), change('2')], offsets: new Map() });
      const before = (await store.changesAfter(0, 10)).at(-1)!.seq;
      await store.reset();
      await store.record({ users: [], changes: [change('3')], offsets: new Map() });
      expect((await store.changesAfter(0, 10)).map((c) => c.seq)).toEqual([before + 1]);
    } finally {
      await store.close();
    }
  });

  it('writes nothing of a flush that fails part way', async () => {
    const store = new SqliteAudienceStore(join(tempDir('audiences-atomic'), 'state.sqlite'));
    try {
      const ws = workspaceId(1);
      const u = parseMpid('7') as Mpid;
      const user = { workspaceId: ws, mpid: u, events: {}, identities: {}, memberships: {}, dueMs: 1 };
      // The second change breaks the table's CHECK, after the user and the first change are written.
      const bad = [
        { workspaceId: ws, audienceId: 1, mpid: u, change: 'removed' as const, atMs: 1 },
        { workspaceId: ws, audienceId: 1, mpid: u, change: 'maybe' as 'added', atMs: 2 },
      ];
      await expect(store.record({ users: [user], changes: bad, offsets: new Map([[0, 9]]) })).rejects.toThrow(/CHECK/);
      expect(await store.users(ws, [u])).toEqual(new Map());
      expect(await store.changesAfter(0, 10)).toEqual([]);
      expect(await store.appliedOffsets()).toEqual(new Map());
      expect(await store.due(10, 10)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { inputId, type Mpid, workspaceId } from '../../kernel/ids.ts';
import { stringifyLossless } from '../../kernel/lossless-json.ts';
import { deliveryStoreContract } from '../contracts/delivery-store.contract.ts';
import { SCHEMA_VERSIONS_SQL } from '../migrations.ts';
import { openSqlite } from './open.ts';
import { DELIVERY_MIGRATIONS, ERASE_USER_SQL, SqliteDeliveryStore } from './sqlite-delivery-store.ts';

deliveryStoreContract('SQLite', async (file) => new SqliteDeliveryStore(file), () => join(tempDir('delivery'), 'delivery.sqlite'));

const ws = workspaceId(1);
const append = (mpid: string, offset: number) => ({
  workspaceId: ws, inputId: inputId(1), mpid: mpid as Mpid, receivedAtMs: offset, logPartition: 0, logOffset: offset,
  batch: stringifyLossless({ events: [], environment: 'production', user_identities: {}, user_attributes: { email: `${mpid}@example.com` }, mpid }),
});
const zero = { sent: 0, filtered: 0, failed: 0, retried: 0, dead_lettered: 0 };

describe('SqliteDeliveryStore eraseUsers', () => {
  it("reads and deletes from indexes by user, leaving nothing of the user's in the file", async () => {
    const file = join(tempDir('delivery-erase'), 'delivery.sqlite');
    const store = new SqliteDeliveryStore(file);
    await store.append([append('-5', 1), append('6', 2)]);
    await store.cursor(7, 0);
    const batches = await store.read(ws, 0, 10);
    await store.commit(7, { workspaceId: ws, end: 2, counts: { ...zero, dead_lettered: 2 }, lastError: null, deadLetters: [{ key: '7-1-2', batches, changes: [], error: 'down', attempts: 1, createdAtMs: 1 }] });
    await store.eraseUsers(ws, ['-5' as Mpid]);
    await store.close();
    const db = openSqlite(file);
    try {
      expect(db.prepare('SELECT mpid FROM stream').pluck().all()).toEqual(['6']);
      expect(db.prepare("SELECT count(*) FROM dead_letters WHERE instr(batches, '-5@example.com') > 0").pluck().get()).toBe(0);
      expect(db.prepare('SELECT mpid FROM dead_letter_users').pluck().all()).toEqual(['6']);
      for (const sql of Object.values(ERASE_USER_SQL)) {
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(1, '5') as { detail: string }[]).map((r) => r.detail);
        expect(plan[0]).toMatch(/^SEARCH \w+ USING (COVERING |PRIMARY KEY )?(INDEX \w+ )?\(workspace_id=\? AND mpid=\?\)$/);
        for (const step of plan.slice(1)) expect(step).toMatch(/^SEARCH d USING INTEGER PRIMARY KEY/);
      }
    } finally {
      db.close();
    }
  });

  it("finds the users of dead letters written before schema 2 (batches name theirs)", async () => {
    const file = join(tempDir('delivery-v1'), 'delivery.sqlite');
    const db = openSqlite(file);
    db.exec(SCHEMA_VERSIONS_SQL.create);
    db.exec(DELIVERY_MIGRATIONS[0]!.up as string);
    db.prepare(SCHEMA_VERSIONS_SQL.record).run('delivery', 1, '2026-12-01T00:00:00Z');
    const batch = (mpid: string, seq: number) => ({ seq, workspaceId: 1, inputId: 1, mpid, receivedAtMs: 1, batch: {}, text: '{}' });
    db.prepare("INSERT INTO dead_letters (connection_id, key, batches, changes, error, attempts, created_at_ms) VALUES (7, 'k', ?, '[]', 'down', 1, 1)")
      .run(JSON.stringify([batch('-5', 1), batch('6', 2)]));
    db.prepare('INSERT INTO cursors (connection_id, committed, claimed, dead_lettered) VALUES (7, 2, 2, 2)').run();
    db.close();
    const store = new SqliteDeliveryStore(file);
    try {
      expect(await store.eraseUsers(ws, ['-5' as Mpid])).toBe(1);
      expect((await store.deadLetters(7, 10)).map((d) => d.batches.map((b) => b.mpid))).toEqual([['6']]);
      expect((await store.cursor(7, 0)).dead_lettered).toBe(1);
    } finally {
      await store.close();
    }
  });
});

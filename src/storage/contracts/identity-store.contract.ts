import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IdentityEvent, IdentityRecord, IdentityStore } from '../../identity/identity-store.ts';
import { type Mpid, parseMpid, workspaceId } from '../../kernel/ids.ts';

const ws = workspaceId(1);
const mpid = (s: string) => parseMpid(s) as Mpid;

function record(id: string, identities: IdentityRecord['identities']): IdentityRecord {
  return { workspaceId: ws, mpid: mpid(id), identities, createdAtMs: 1000, updatedAtMs: 2000 };
}

function event(id: string, action: IdentityEvent['action'], type: IdentityEvent['type'] = null, value: string | null = null): IdentityEvent {
  return {
    workspaceId: ws,
    mpid: mpid(id),
    atMs: 3000,
    action,
    type,
    value,
    previousValue: null,
    reason: { operation: 'identify', strategy: 'profile_conversion', source: 'identity_api', requestId: 'r1', matchedBy: null, detail: 'test' },
  };
}

/** The identity store contract, run against every adapter. */
export function identityStoreContract(name: string, open: (location: string) => Promise<IdentityStore>, newLocation: () => string) {
  describe(`IdentityStore contract: ${name}`, () => {
    let location: string;
    let store: IdentityStore;

    beforeEach(async () => {
      location = newLocation();
      store = await open(location);
    });
    afterEach(async () => {
      await store.close();
    });

    it('saves records, replacing earlier versions, and keeps them across a reopen', async () => {
      const big = '-9223372036854775808';
      await store.save([record(big, { customer_id: 'c1' }), record('7', { email: 'a@b.c' })], [event(big, 'created')]);
      await store.save([{ ...record(big, { customer_id: 'c1', ios_idfv: 'v' }), updatedAtMs: 5000 }], []);
      await store.close();
      store = await open(location);
      const all = (await store.loadAll()).sort((a, b) => a.mpid.localeCompare(b.mpid));
      expect(all).toEqual([
        { ...record(big, { customer_id: 'c1', ios_idfv: 'v' }), updatedAtMs: 5000 },
        record('7', { email: 'a@b.c' }),
      ]);
    });

    it('keeps alias requests, replacing one by id, with their events', async () => {
      const alias = {
        id: 'a-1', workspaceId: ws, sourceMpid: mpid('1'), destinationMpid: mpid('2'),
        startMs: 1, endMs: 2, requestedAtMs: 3, dueAtMs: 4, status: 'pending' as const, detail: null,
      };
      await store.saveAlias(alias, []);
      await store.saveAlias({ ...alias, status: 'completed', detail: 'done' }, [event('2', 'merged')]);
      await store.close();
      store = await open(location);
      expect(await store.loadAliases()).toEqual([{ ...alias, status: 'completed', detail: 'done' }]);
      expect((await store.history(ws, mpid('2'))).map((e) => e.action)).toEqual(['merged']);
    });

    it('keeps the history of a profile in order, with its reasons', async () => {
      await store.save([record('5', { customer_id: 'c' })], [event('5', 'created'), event('5', 'identity_added', 'customer_id', 'c')]);
      await store.save([], [event('6', 'created')]);
      const history = await store.history(ws, mpid('5'));
      expect(history.map((e) => [e.action, e.type, e.value])).toEqual([
        ['created', null, null],
        ['identity_added', 'customer_id', 'c'],
      ]);
      expect(history[0]!.reason).toEqual(event('5', 'created').reason);
      expect(await store.history(workspaceId(2), mpid('5'))).toEqual([]);
    });

    it("erases some users' records, history and alias requests at once, and nothing of another user or workspace", async () => {
      const other = workspaceId(2);
      const [gone, alsoGone, stays] = [mpid('-11'), mpid('14'), mpid('12')];
      await store.save(
        [
          record(gone, { email: 'gone@example.com' }), record(alsoGone, { customer_id: 'c14' }), record(stays, { email: 'stays@example.com' }),
          { ...record(gone, { email: 'x@example.com' }), workspaceId: other },
        ],
        [
          event(gone, 'created'), event(gone, 'identity_added', 'email', 'gone@example.com'), event(alsoGone, 'created'), event(stays, 'created'),
          { ...event(gone, 'created'), workspaceId: other },
        ],
      );
      const alias = (id: string, source: Mpid, destination: Mpid, w = ws) => ({
        id, workspaceId: w, sourceMpid: source, destinationMpid: destination,
        startMs: 1, endMs: 2, requestedAtMs: 3, dueAtMs: 4, status: 'pending' as const, detail: null,
      });
      await store.saveAlias(alias('from-gone', gone, stays), []);
      await store.saveAlias(alias('to-gone', stays, gone), [event(stays, 'aliased')]);
      await store.saveAlias(alias('others', stays, mpid('13')), []);
      await store.saveAlias(alias('other-ws', gone, stays, other), []);
      await store.saveAlias(alias('between-gone', gone, alsoGone), []);

      // Theirs: 2 records, 3 events, 3 alias requests (the one between them counted once); nothing of the unknown one.
      expect(await store.eraseUsers(ws, [gone, mpid('999'), alsoGone])).toBe(8);

      const all = (await store.loadAll()).map((r) => [r.workspaceId, r.mpid]).sort();
      expect(all).toEqual([[ws, stays], [other, gone]].sort());
      expect(await store.history(ws, gone)).toEqual([]);
      expect(await store.history(ws, alsoGone)).toEqual([]);
      expect((await store.history(ws, stays)).map((e) => e.action)).toEqual(['created', 'aliased']);
      expect((await store.history(other, gone)).map((e) => e.action)).toEqual(['created']);
      expect((await store.loadAliases()).map((a) => a.id).sort()).toEqual(['other-ws', 'others']);
      await store.close();
      store = await open(location);
      expect((await store.loadAll()).some((r) => r.workspaceId === ws && r.mpid === gone)).toBe(false);
      expect(await store.eraseUsers(ws, [gone, alsoGone])).toBe(0);
      expect(await store.eraseUsers(ws, [])).toBe(0);
      expect((await store.erasedUsers()).map((u) => [u.workspaceId, u.mpid]).sort()).toEqual([[ws, gone], [ws, alsoGone], [ws, mpid('999')]].sort());
    });

    it('erases a user whose save was still waiting for its group commit', async () => {
      const saved = store.save([record('21', { customer_id: 'c21' })], [event('21', 'created')]);
      expect(await store.eraseUsers(ws, [mpid('21')])).toBe(2);
      await saved;
      expect(await store.loadAll()).toEqual([]);
    });
  });
}

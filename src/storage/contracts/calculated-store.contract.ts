import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CalculatedAttribute, CalculatedStore, Calculation } from '../../calculated/calculated-store.ts';
import { definitionOf, customEvent, batchOf, NOW } from '../../calculated/test-batches.ts';
import { newState, observe } from '../../calculated/windows.ts';
import { type Mpid, parseMpid, workspaceId } from '../../kernel/ids.ts';

const ws = workspaceId(1);
const other = workspaceId(2);
const mpid = (text: string) => parseMpid(text) as Mpid;
const count = definitionOf('count');
const attribute = (name: string, extra: Partial<CalculatedAttribute> = {}): Omit<CalculatedAttribute, 'id' | 'workspaceId'> => ({
  name,
  description: null,
  created_on: '2026-01-01T00:00:00.000Z',
  created_by: 'client_id:c',
  last_modified_on: null,
  last_modified_by: null,
  draft_definition: count,
  active_definition: null,
  activated_on: null,
  activated_by: null,
  revision: 0,
  ...extra,
});
/** A count state that saw `n` plays. */
const played = (n: number) => {
  let state = newState(count);
  for (let i = 0; i < n; i++) state = observe(count, state, customEvent('Play', null, NOW - i), batchOf([]), NOW);
  return state;
};

/** The calculated attributes store contract, run against every adapter. */
export function calculatedStoreContract(name: string, open: (location: string) => Promise<CalculatedStore>, newLocation: () => string) {
  describe(`CalculatedStore contract: ${name}`, () => {
    let location: string;
    let store: CalculatedStore;

    beforeEach(async () => {
      location = newLocation();
      store = await open(location);
    });
    afterEach(async () => {
      await store.close();
    });

    it('creates attributes with ids, per workspace, with names unique whatever their case, and keeps them across a reopen', async () => {
      const a = await store.create(ws, attribute('Purchases'));
      expect(a).toMatchObject({ id: expect.any(Number), workspaceId: ws, name: 'Purchases' });
      expect(await store.create(ws, attribute('purchases'))).toBe('name-taken');
      const b = await store.create(other, attribute('purchases'));
      expect(b).not.toBe('name-taken');
      await store.close();
      store = await open(location);
      expect(await store.list(ws)).toEqual([a]);
      expect(await store.get(ws, (a as CalculatedAttribute).id)).toEqual(a);
      expect(await store.get(other, (a as CalculatedAttribute).id)).toBeUndefined();
    });

    it('updates and deletes, refusing a taken name, and bumps its revision with each write only', async () => {
      const revisions = [await store.revision()];
      const a = (await store.create(ws, attribute('a'))) as CalculatedAttribute;
      revisions.push(await store.revision());
      const b = (await store.create(ws, attribute('b'))) as CalculatedAttribute;
      expect(await store.update({ ...b, name: 'A' })).toBe('name-taken');
      expect(await store.get(ws, b.id)).toEqual(b);
      revisions.push(await store.revision());
      expect(await store.update({ ...a, description: 'changed', active_definition: count, revision: 1 })).toBe(true);
      revisions.push(await store.revision());
      expect(await store.active()).toEqual([{ ...a, description: 'changed', active_definition: JSON.parse(JSON.stringify(count)), revision: 1 }]);
      expect(await store.update({ ...a, id: 999 })).toBe(false);
      await store.list(ws);
      revisions.push(await store.revision());
      expect(await store.delete(ws, a.id)).toBe(true);
      expect(await store.delete(ws, a.id)).toBe(false);
      revisions.push(await store.revision());
      expect(revisions.slice(1).map((r, i) => r > revisions[i]!)).toEqual([true, true, true, false, true]);
      expect((await store.list(ws)).map((x) => x.name)).toEqual(['b']);
    });

    it('keeps each user\'s live, base and seed states, replacing them, and the offsets counted, in one flush', async () => {
      const a = (await store.create(ws, attribute('a'))) as CalculatedAttribute;
      const [u1, u2] = [mpid('-7304304713220648359'), mpid('42')];
      const b = (await store.create(ws, attribute('b'))) as CalculatedAttribute;
      await store.record({ live: [{ workspaceId: ws, mpid: u1, id: a.id, revision: 1, state: played(2) }, { workspaceId: ws, mpid: u1, id: b.id, revision: 1, state: played(8) }], offsets: new Map([[0, 10]]) });
      // A flush names only the states that changed: the others stay.
      await store.record({ live: [{ workspaceId: ws, mpid: u1, id: a.id, revision: 1, state: played(3) }], offsets: new Map([[0, 12], [1, 4]]) });
      const progress: Calculation = { workspaceId: ws, id: a.id, revision: 1, handover: { 0: 9, 1: 3 }, status: 'calculating', usersDone: 2, usersTotal: 5, cursor: u2, startedAtMs: NOW, completedAtMs: null };
      await store.putBase(progress, [{ mpid: u1, state: played(7) }, { mpid: u2, state: played(1) }]);
      const seeds = await store.seedRevision();
      await store.putSeeds(ws, [{ id: a.id, mpid: u2, state: played(4) }]);
      expect(await store.seedRevision()).toBeGreaterThan(seeds);
      await store.putSeeds(ws, [{ id: a.id, mpid: u2, state: played(5) }]);
      await store.putSeeds(ws, [{ id: a.id, mpid: u1, state: played(6) }]);
      await store.deleteSeeds(ws, a.id);
      await store.putSeeds(ws, [{ id: a.id, mpid: u2, state: played(5) }]);
      const users = await store.users(ws, [u1, u2, mpid('7')]);
      expect([...users.keys()].sort()).toEqual([u1, u2].sort());
      expect(users.get(u1)).toEqual({ live: new Map([[a.id, { revision: 1, state: played(3) }], [b.id, { revision: 1, state: played(8) }]]), base: new Map([[a.id, { revision: 1, state: played(7) }]]), seeds: new Map() });
      expect(users.get(u2)).toEqual({ live: new Map(), base: new Map([[a.id, { revision: 1, state: played(1) }]]), seeds: new Map([[a.id, played(5)]]) });
      expect((await store.users(other, [u1])).size).toBe(0);
      expect(await store.appliedOffsets()).toEqual(new Map([[0, 12], [1, 4]]));
      expect(await store.calculation(ws, a.id, 1)).toEqual(progress);
      await store.putCalculation({ ...progress, status: 'calculated', usersDone: 5, completedAtMs: NOW + 1 });
      expect(await store.calculation(ws, a.id, 1)).toMatchObject({ status: 'calculated', usersDone: 5 });
      expect(await store.calculation(ws, a.id, 2)).toBeUndefined();
    });

    it('forgets what is derived on reset, and an attribute\'s computations, live and base states and seeds with it', async () => {
      const a = (await store.create(ws, attribute('a'))) as CalculatedAttribute;
      const b = (await store.create(ws, attribute('b'))) as CalculatedAttribute;
      const u = mpid('42');
      const progress: Calculation = { workspaceId: ws, id: a.id, revision: 1, handover: { 0: 1 }, status: 'calculated', usersDone: 1, usersTotal: 1, cursor: null, startedAtMs: NOW, completedAtMs: NOW };
      await store.putBase(progress, [{ mpid: u, state: played(1) }]);
      await store.record({ live: [{ workspaceId: ws, mpid: u, id: a.id, revision: 1, state: played(5) }], offsets: new Map([[0, 1]]) });
      await store.putBase({ ...progress, id: b.id }, [{ mpid: u, state: played(2) }]);
      await store.putSeeds(ws, [{ id: a.id, mpid: u, state: played(3) }, { id: b.id, mpid: u, state: played(4) }]);
      await store.delete(ws, a.id);
      expect(await store.calculation(ws, a.id, 1)).toBeUndefined();
      expect(await store.users(ws, [u])).toEqual(new Map([[u, { live: new Map(), base: new Map([[b.id, { revision: 1, state: played(2) }]]), seeds: new Map([[b.id, played(4)]]) }]]));
      await store.record({ live: [{ workspaceId: ws, mpid: u, id: b.id, revision: 1, state: played(1) }], offsets: new Map([[0, 3]]) });
      await store.reset();
      expect(await store.appliedOffsets()).toEqual(new Map());
      expect(await store.calculation(ws, b.id, 1)).toBeUndefined();
      // Seeds are not derived from the log: a replay keeps them.
      expect(await store.users(ws, [u])).toEqual(new Map([[u, { live: new Map(), base: new Map(), seeds: new Map([[b.id, played(4)]]) }]]));
      expect(await store.list(ws)).toHaveLength(1);
    });

    it("erases some users' live and base states and seeds at once, of every attribute, and nothing of another user or workspace", async () => {
      const a = (await store.create(ws, attribute('a'))) as CalculatedAttribute;
      const b = (await store.create(ws, attribute('b'))) as CalculatedAttribute;
      const [gone, alsoGone, stays] = [mpid('-61'), mpid('63'), mpid('62')];
      const progress: Calculation = { workspaceId: ws, id: a.id, revision: 1, handover: { 0: 1 }, status: 'calculated', usersDone: 2, usersTotal: 2, cursor: gone, startedAtMs: NOW, completedAtMs: NOW };
      await store.putBase(progress, [{ mpid: gone, state: played(1) }, { mpid: stays, state: played(2) }]);
      const live = (w: typeof ws, u: Mpid, id: number, n: number) => ({ workspaceId: w, mpid: u, id, revision: 1, state: played(n) });
      await store.record({
        live: [live(ws, gone, a.id, 3), live(ws, gone, b.id, 4), live(ws, alsoGone, b.id, 10), live(ws, stays, a.id, 5), live(other, gone, a.id, 6)],
        offsets: new Map([[0, 7]]),
      });
      await store.putSeeds(ws, [{ id: a.id, mpid: gone, state: played(7) }, { id: b.id, mpid: alsoGone, state: played(11) }, { id: b.id, mpid: stays, state: played(8) }]);
      await store.putSeeds(other, [{ id: a.id, mpid: gone, state: played(9) }]);
      const seeds = await store.seedRevision();

      // Theirs: 3 live states, 1 base state, 2 seeds; nothing of the unknown user.
      expect(await store.eraseUsers(ws, [gone, mpid('999'), alsoGone])).toBe(6);

      expect(await store.users(ws, [gone, alsoGone])).toEqual(new Map());
      expect(await store.seedRevision()).toBeGreaterThan(seeds);
      expect(await store.users(ws, [stays])).toEqual(new Map([[stays, {
        live: new Map([[a.id, { revision: 1, state: played(5) }]]),
        base: new Map([[a.id, { revision: 1, state: played(2) }]]),
        seeds: new Map([[b.id, played(8)]]),
      }]]));
      expect(await store.users(other, [gone])).toEqual(new Map([[gone, { live: new Map([[a.id, { revision: 1, state: played(6) }]]), base: new Map(), seeds: new Map([[a.id, played(9)]]) }]]));
      // Definitions, computations and offsets hold nothing of the user.
      expect(await store.calculation(ws, a.id, 1)).toEqual(progress);
      expect(await store.appliedOffsets()).toEqual(new Map([[0, 7]]));
      expect(await store.list(ws)).toHaveLength(2);

      const after = await store.seedRevision();
      expect(await store.eraseUsers(ws, [gone, alsoGone])).toBe(0);
      expect(await store.eraseUsers(ws, [])).toBe(0);
      expect(await store.seedRevision()).toBe(after);
    });
  });
}

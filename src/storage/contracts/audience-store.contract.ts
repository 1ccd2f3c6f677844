import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Audience, AudienceCalculation, AudienceStore, AudienceUser, MembershipChange } from '../../audiences/audience-store.ts';
import type { AudienceNode } from '../../audiences/definition.ts';
import { type Mpid, parseMpid, type WorkspaceId, workspaceId } from '../../kernel/ids.ts';

const ws = workspaceId(1);
const other = workspaceId(2);
const NOW = Date.UTC(2026, 0, 1);
const mpid = (text: string) => parseMpid(text) as Mpid;
const gold: AudienceNode = { user_attribute: { name: 'tier', operator: 'equals', value: 'gold' } };
const audience = (name: string, extra: Partial<Audience> = {}): Omit<Audience, 'id' | 'workspaceId'> => ({
  name,
  description: null,
  kind: 'realtime',
  definition: gold,
  created_on: '2026-01-01T00:00:00.000Z',
  created_by: 'client_id:c',
  last_modified_on: null,
  last_modified_by: null,
  is_active: false,
  activated_on: null,
  revision: 0,
  ...extra,
});
const user = (w: WorkspaceId, id: Mpid, extra: Partial<AudienceUser> = {}): AudienceUser => ({
  workspaceId: w,
  mpid: id,
  events: { 'custom_event:Play': { n: 3, recent: [NOW, NOW - 1000] } },
  identities: { email: `${id}@example.com` },
  memberships: {},
  dueMs: null,
  ...extra,
});
const change = (w: WorkspaceId, audienceId: number, id: Mpid, kind: MembershipChange['change'], atMs = NOW): MembershipChange => ({
  workspaceId: w,
  audienceId,
  mpid: id,
  change: kind,
  atMs,
});
/** A flush of changes only. */
const changes = (...list: MembershipChange[]) => ({ users: [], changes: list, offsets: new Map<number, number>() });

/** MPIDs whose text order, or whose order as JS numbers, is not their numeric order. */
const ORDERED = [
  '-9223372036854775808',
  '-2',
  '-1',
  '2',
  '10',
  '9007199254740992',
  '9007199254740993',
  '9223372036854775807',
].map(mpid);

/** The audience store contract, run against every adapter. */
export function audienceStoreContract(name: string, open: (location: string) => Promise<AudienceStore>, newLocation: () => string) {
  describe(`AudienceStore contract: ${name}`, () => {
    let location: string;
    let store: AudienceStore;
    const created = async (w: WorkspaceId, n: string, extra: Partial<Audience> = {}) => {
      const a = await store.create(w, audience(n, extra));
      if (a === 'name-taken') throw new Error(`name ${n} taken`);
      return a;
    };

    beforeEach(async () => {
      location = newLocation();
      store = await open(location);
    });
    afterEach(async () => {
      await store.close();
    });

    describe('definitions', () => {
      it('creates audiences with ids, per workspace, and keeps them across a reopen', async () => {
        const a = await created(ws, 'Gold');
        expect(a).toEqual({ id: expect.any(Number), workspaceId: ws, ...audience('Gold') });
        const b = await created(ws, 'Silver', { kind: 'standard', description: 'some' });
        const c = await created(other, 'Gold');
        expect(new Set([a.id, b.id, c.id]).size).toBe(3);
        await store.close();
        store = await open(location);
        expect(await store.list(ws)).toEqual([a, b]);
        expect(await store.list(other)).toEqual([c]);
        expect(await store.get(ws, a.id)).toEqual(a);
        expect(await store.get(ws, 999_999)).toBeUndefined();
      });

      it('keeps names unique per workspace whatever their case, storing nothing for a taken name', async () => {
        const a = await created(ws, 'Gold Members');
        const revision = await store.revision();
        expect(await store.create(ws, audience('gold MEMBERS', { description: 'not kept' }))).toBe('name-taken');
        expect(await store.list(ws)).toEqual([a]);
        expect(await store.revision()).toBe(revision);
        expect(await store.create(other, audience('GOLD members'))).not.toBe('name-taken');
      });

      it('updates and deletes, refusing a taken name and unknown ids', async () => {
        const a = await created(ws, 'a');
        const b = await created(ws, 'b');
        const changed = { ...a, name: 'A renamed', description: 'changed', last_modified_on: '2026-01-02T00:00:00.000Z' };
        expect(await store.update(changed)).toBe(true);
        expect(await store.get(ws, a.id)).toEqual(changed);
        expect(await store.update({ ...b, name: 'a RENAMED', description: 'not kept' })).toBe('name-taken');
        expect(await store.get(ws, b.id)).toEqual(b);
        // Its own name in another case is no clash.
        expect(await store.update({ ...b, name: 'B' })).toBe(true);
        expect(await store.update({ ...a, id: 999_999 })).toBe(false);
        expect(await store.get(ws, 999_999)).toBeUndefined();
        expect(await store.delete(ws, a.id)).toBe(true);
        expect(await store.get(ws, a.id)).toBeUndefined();
        expect(await store.delete(ws, a.id)).toBe(false);
        expect(await store.delete(ws, 999_999)).toBe(false);
        expect(await store.update(changed)).toBe(false);
        expect((await store.list(ws)).map((x) => x.name)).toEqual(['B']);
        // A deleted audience's name is free again.
        expect(await store.create(ws, audience('A renamed'))).not.toBe('name-taken');
      });

      it('grows its revision with each write of a definition only', async () => {
        const revisions = [await store.revision()];
        const next = async (write: () => Promise<unknown>) => {
          await write();
          revisions.push(await store.revision());
        };
        const a = await created(ws, 'a');
        revisions.push(await store.revision());
        await next(() => store.update({ ...a, description: 'x' }));
        await next(() => store.create(ws, audience('b')));
        await next(() => store.delete(ws, a.id));
        // Reads and refused writes are no writes.
        await next(() => store.list(ws));
        await next(() => store.update({ ...a, id: 999_999 }));
        await next(() => store.create(ws, audience('B')));
        await next(() => store.delete(ws, a.id));
        expect(revisions.slice(1).map((r, i) => r > revisions[i]!)).toEqual([true, true, true, true, false, false, false, false]);
      });

      it('shows its revision and definitions to a second store opened on the same location', async () => {
        const second = await open(location);
        try {
          const before = await second.revision();
          const a = await created(ws, 'a');
          expect(await second.revision()).toBeGreaterThan(before);
          expect(await second.get(ws, a.id)).toEqual(a);
          const seen = await store.revision();
          expect(await second.update({ ...a, is_active: true, revision: 1 })).toBe(true);
          expect(await store.revision()).toBeGreaterThan(seen);
          expect(await store.get(ws, a.id)).toMatchObject({ is_active: true, revision: 1 });
          expect(await second.create(ws, audience('A'))).toBe('name-taken');
        } finally {
          await second.close();
        }
      });

      it('lists the active audiences of every workspace, by id', async () => {
        const a = await created(ws, 'a', { is_active: true, activated_on: '2026-01-01T00:00:00.000Z', revision: 1 });
        await created(ws, 'b');
        const c = await created(other, 'c', { is_active: true, revision: 3 });
        expect(await store.active()).toEqual([a, c]);
        await store.update({ ...a, is_active: false });
        expect(await store.active()).toEqual([c]);
        await store.delete(other, c.id);
        expect(await store.active()).toEqual([]);
      });

      it('keeps each revision\'s calculation, replacing it', async () => {
        const a = await created(ws, 'a', { is_active: true, revision: 1 });
        const calculating: AudienceCalculation = { workspaceId: ws, id: a.id, revision: 1, status: 'calculating', handover: null, phase: 'events', cursor: null, usersDone: 2, usersTotal: null, startedAtMs: NOW, completedAtMs: null };
        await store.putCalculation(calculating);
        expect(await store.calculation(ws, a.id, 1)).toEqual(calculating);
        const done: AudienceCalculation = { ...calculating, status: 'calculated', handover: { 0: 4 }, phase: 'users', cursor: null, usersDone: 5, usersTotal: 5, completedAtMs: NOW + 10 };
        await store.putCalculation(done);
        const second: AudienceCalculation = { ...calculating, revision: 2, startedAtMs: NOW + 20 };
        await store.putCalculation(second);
        expect(await store.calculation(ws, a.id, 1)).toEqual(done);
        expect(await store.calculation(ws, a.id, 2)).toEqual(second);
        expect(await store.calculation(ws, a.id, 3)).toBeUndefined();
        expect(await store.calculation(other, a.id, 1)).toBeUndefined();
      });
    });

    describe('users, memberships and changes', () => {
      it('writes users, changes, memberships and offsets in one flush, all readable after it', async () => {
        const a = await created(ws, 'a', { is_active: true });
        const [u1, u2] = [mpid('-7304304713220648359'), mpid('42')];
        const one = user(ws, u1, { memberships: { [a.id]: NOW }, dueMs: NOW + 60_000 });
        const two = user(ws, u2);
        const progress: AudienceCalculation = { workspaceId: ws, id: a.id, revision: 1, status: 'calculating', handover: { 0: 9 }, phase: 'events', cursor: u2, usersDone: 2, usersTotal: 4, startedAtMs: NOW, completedAtMs: null };
        await store.record({ users: [one, two], changes: [change(ws, a.id, u1, 'added')], offsets: new Map([[0, 10], [1, 3]]), calculations: [progress] });
        expect(await store.users(ws, [u1, u2])).toEqual(new Map([[u1, one], [u2, two]]));
        expect(await store.calculation(ws, a.id, 1)).toEqual(progress);
        expect(await store.members(ws, a.id, null, 10)).toEqual([{ mpid: u1, addedAtMs: NOW }]);
        expect(await store.size(ws, a.id)).toBe(1);
        expect(await store.membershipsOf(ws, u1)).toEqual([{ audienceId: a.id, name: 'a', addedAtMs: NOW }]);
        expect(await store.historyOf(ws, u1)).toEqual([{ seq: expect.any(Number), ...change(ws, a.id, u1, 'added') }]);
        expect(await store.changesAfter(0, 10)).toEqual(await store.historyOf(ws, u1));
        expect(await store.appliedOffsets()).toEqual(new Map([[0, 10], [1, 3]]));
        // A later flush replaces the users and offsets it names; the others stay.
        const later = { ...one, memberships: {}, dueMs: null };
        await store.record({ users: [later], changes: [change(ws, a.id, u1, 'removed', NOW + 1)], offsets: new Map([[0, 12]]) });
        expect(await store.users(ws, [u1, u2])).toEqual(new Map([[u1, later], [u2, two]]));
        expect(await store.size(ws, a.id)).toBe(0);
        expect(await store.membershipsOf(ws, u1)).toEqual([]);
        expect(await store.appliedOffsets()).toEqual(new Map([[0, 12], [1, 3]]));
      });

      it('keeps a flush as it was when record returned, whatever the caller does with its users after', async () => {
        const u = mpid('5');
        const state = user(ws, u, { dueMs: NOW });
        const kept = structuredClone(state);
        const recorded = store.record({ users: [state], changes: [], offsets: new Map() });
        state.events['custom_event:Play']!.n = 99;
        state.identities.email = 'changed';
        state.dueMs = null;
        await recorded;
        expect((await store.users(ws, [u])).get(u)).toEqual(kept);
        expect(await store.due(NOW, 10)).toEqual([{ workspaceId: ws, mpid: u }]);
      });

      it('leaves out users it holds nothing of, and never mixes workspaces', async () => {
        const [u, unknown] = [mpid('77'), mpid('78')];
        const mine = user(ws, u, { identities: { email: 'mine@example.com' } });
        const theirs = user(other, u, { identities: { email: 'theirs@example.com' } });
        await store.record({ users: [mine, theirs], changes: [], offsets: new Map() });
        expect(await store.users(ws, [u, unknown, u])).toEqual(new Map([[u, mine]]));
        expect(await store.users(other, [u])).toEqual(new Map([[u, theirs]]));
        expect(await store.users(workspaceId(3), [u])).toEqual(new Map());
        expect(await store.users(ws, [])).toEqual(new Map());
      });

      it('pages an audience\'s members by MPID in numeric order, negative ones first', async () => {
        const a = await created(ws, 'a');
        const shuffled = [...ORDERED].reverse();
        shuffled.push(shuffled.shift()!);
        await store.record(changes(...shuffled.map((u, i) => change(ws, a.id, u, 'added', NOW + i))));
        const all = await store.members(ws, a.id, null, 100);
        expect(all.map((m) => m.mpid)).toEqual(ORDERED);
        expect(all.find((m) => m.mpid === ORDERED[0])?.addedAtMs).toBe(NOW + shuffled.indexOf(ORDERED[0]!));
        const paged: Mpid[] = [];
        for (let after: Mpid | null = null; ; ) {
          const page = await store.members(ws, a.id, after, 3);
          expect(page.length).toBeLessThanOrEqual(3);
          if (page.length === 0) break;
          paged.push(...page.map((m) => m.mpid));
          after = page.at(-1)!.mpid;
        }
        expect(paged).toEqual(ORDERED);
        expect((await store.members(ws, a.id, mpid('-1'), 2)).map((m) => m.mpid)).toEqual([mpid('2'), mpid('10')]);
        expect((await store.members(ws, a.id, mpid('9007199254740992'), 10)).map((m) => m.mpid)).toEqual(ORDERED.slice(6));
        // After an MPID that is no member: the members after it.
        expect((await store.members(ws, a.id, mpid('3'), 1)).map((m) => m.mpid)).toEqual([mpid('10')]);
        expect(await store.members(ws, a.id, ORDERED.at(-1)!, 10)).toEqual([]);
        expect(await store.size(ws, a.id)).toBe(ORDERED.length);
      });

      it('counts members per audience, an addition twice once, a removal taking the member out', async () => {
        const a = await created(ws, 'a');
        const b = await created(ws, 'b');
        const [u1, u2, u3] = [mpid('1'), mpid('-2'), mpid('3')];
        await store.record(changes(change(ws, a.id, u1, 'added'), change(ws, a.id, u2, 'added'), change(ws, b.id, u3, 'added')));
        await store.record(changes(change(ws, a.id, u1, 'removed'), change(ws, a.id, u1, 'added', NOW + 5), change(ws, a.id, u2, 'added', NOW + 6)));
        expect(await store.size(ws, a.id)).toBe(2);
        expect(await store.size(ws, b.id)).toBe(1);
        expect(await store.members(ws, a.id, null, 10)).toEqual([{ mpid: u2, addedAtMs: NOW + 6 }, { mpid: u1, addedAtMs: NOW + 5 }]);
        await store.record(changes(change(ws, a.id, u2, 'removed'), change(ws, b.id, u1, 'removed')));
        expect(await store.members(ws, a.id, null, 10)).toEqual([{ mpid: u1, addedAtMs: NOW + 5 }]);
        expect(await store.size(ws, b.id)).toBe(1);
        expect(await store.size(ws, 999_999)).toBe(0);
      });

      it("replaces a standard audience's members: a change per user leaving then joining, in MPID order; those kept keep their time", async () => {
        const a = await created(ws, 'standard', { kind: 'standard', is_active: true, revision: 1 });
        const b = await created(ws, 'other');
        const calc = (revision: number): AudienceCalculation => ({
          workspaceId: ws, id: a.id, revision, status: 'calculated', handover: null, phase: 'query', percent: 100, cursor: null, usersDone: 9, usersTotal: 9, startedAtMs: NOW, completedAtMs: NOW,
        });
        const [u1, u2, u3, u4] = [mpid('10'), mpid('-2'), mpid('3'), mpid('9223372036854775807')];
        await store.record(changes(change(ws, b.id, u1, 'added')));
        expect(await store.replaceMembers(ws, a.id, [u1, u3, u2, u1], NOW, calc(1))).toBe(true);
        expect(await store.members(ws, a.id, null, 10)).toEqual([
          { mpid: u2, addedAtMs: NOW },
          { mpid: u3, addedAtMs: NOW },
          { mpid: u1, addedAtMs: NOW },
        ]);
        expect(await store.calculation(ws, a.id, 1)).toEqual(calc(1));
        const seq = (await store.changesAfter(0, 100)).at(-1)!.seq;
        expect(await store.replaceMembers(ws, a.id, [u4, u3], NOW + 5, calc(2))).toBe(true);
        expect(await store.members(ws, a.id, null, 10)).toEqual([
          { mpid: u3, addedAtMs: NOW },
          { mpid: u4, addedAtMs: NOW + 5 },
        ]);
        expect((await store.changesAfter(seq, 100)).map((c) => [c.mpid, c.change, c.atMs])).toEqual([
          [u2, 'removed', NOW + 5],
          [u1, 'removed', NOW + 5],
          [u4, 'added', NOW + 5],
        ]);
        // One audience's changes, as an audience connection reads them, and the last seq.
        expect((await store.audienceChangesAfter(ws, a.id, seq, 100)).map((c) => c.mpid)).toEqual([u2, u1, u4]);
        expect((await store.audienceChangesAfter(ws, b.id, 0, 100)).map((c) => [c.mpid, c.change])).toEqual([[u1, 'added']]);
        expect(await store.audienceChangesAfter(other, a.id, 0, 100)).toEqual([]);
        expect(await store.audienceChangesPending(ws, a.id, seq)).toEqual({ count: 3, oldestAtMs: NOW + 5 });
        expect(await store.audienceChangesPending(other, a.id, 0)).toEqual({ count: 0, oldestAtMs: null });
        expect(await store.lastChangeSeq()).toBe((await store.changesAfter(seq, 100)).at(-1)!.seq);
        // Another audience's members are untouched; nobody selected empties it.
        expect(await store.size(ws, b.id)).toBe(1);
        expect(await store.replaceMembers(ws, a.id, [], NOW + 6, calc(3))).toBe(true);
        expect(await store.size(ws, a.id)).toBe(0);
        // A deleted audience gets no members (false), nor another workspace's.
        expect(await store.replaceMembers(other, a.id, [u1], NOW, calc(4))).toBe(false);
        await store.delete(ws, a.id);
        expect(await store.replaceMembers(ws, a.id, [u1], NOW, calc(5))).toBe(false);
        expect(await store.size(ws, a.id)).toBe(0);
      });

      it('lists a user\'s memberships with the audiences\' current names, not those of deleted audiences', async () => {
        const a = await created(ws, 'a');
        const b = await created(ws, 'b');
        const u = mpid('-9');
        await store.record(changes(change(ws, b.id, u, 'added', NOW + 1), change(ws, a.id, u, 'added', NOW + 2)));
        expect(await store.membershipsOf(ws, u)).toEqual([
          { audienceId: a.id, name: 'a', addedAtMs: NOW + 2 },
          { audienceId: b.id, name: 'b', addedAtMs: NOW + 1 },
        ]);
        await store.update({ ...b, name: 'b renamed' });
        await store.delete(ws, a.id);
        expect(await store.membershipsOf(ws, u)).toEqual([{ audienceId: b.id, name: 'b renamed', addedAtMs: NOW + 1 }]);
        expect(await store.membershipsOf(ws, mpid('10'))).toEqual([]);
      });

      it('deletes an audience\'s calculations and memberships with it, keeping the history', async () => {
        const a = await created(ws, 'a', { is_active: true, revision: 1 });
        const b = await created(ws, 'b');
        const u = mpid('11');
        await store.putCalculation({ workspaceId: ws, id: a.id, revision: 1, status: 'calculated', handover: { 0: 4 }, phase: 'users', cursor: null, usersDone: 1, usersTotal: 1, startedAtMs: NOW, completedAtMs: NOW });
        await store.record(changes(change(ws, a.id, u, 'added'), change(ws, b.id, u, 'added')));
        await store.delete(ws, a.id);
        expect(await store.calculation(ws, a.id, 1)).toBeUndefined();
        expect(await store.members(ws, a.id, null, 10)).toEqual([]);
        expect(await store.size(ws, a.id)).toBe(0);
        expect(await store.size(ws, b.id)).toBe(1);
        expect((await store.historyOf(ws, u)).map((c) => c.audienceId)).toEqual([a.id, b.id]);
        // A flush evaluated before the delete brings no membership of the deleted audience back.
        await store.record(changes(change(ws, a.id, u, 'added', NOW + 1)));
        expect(await store.size(ws, a.id)).toBe(0);
        expect((await store.membershipsOf(ws, u)).map((m) => m.audienceId)).toEqual([b.id]);
      });

      it('keeps each user\'s history, oldest first, and every change in sequence', async () => {
        const a = await created(ws, 'a');
        const b = await created(other, 'b');
        const [u1, u2] = [mpid('21'), mpid('22')];
        await store.record(changes(change(ws, a.id, u1, 'added', NOW), change(ws, a.id, u2, 'added', NOW)));
        await store.record(changes(change(other, b.id, u1, 'added', NOW + 1), change(ws, a.id, u1, 'removed', NOW + 2)));
        await store.record(changes(change(ws, a.id, u1, 'added', NOW + 3)));
        const history = await store.historyOf(ws, u1);
        expect(history.map(({ seq: _seq, ...c }) => c)).toEqual([
          change(ws, a.id, u1, 'added', NOW),
          change(ws, a.id, u1, 'removed', NOW + 2),
          change(ws, a.id, u1, 'added', NOW + 3),
        ]);
        expect(await store.historyOf(other, u1)).toEqual([{ seq: expect.any(Number), ...change(other, b.id, u1, 'added', NOW + 1) }]);
        expect(await store.historyOf(ws, mpid('23'))).toEqual([]);

        const all = await store.changesAfter(0, 100);
        expect(all.map(({ seq: _seq, ...c }) => c)).toEqual([
          change(ws, a.id, u1, 'added', NOW),
          change(ws, a.id, u2, 'added', NOW),
          change(other, b.id, u1, 'added', NOW + 1),
          change(ws, a.id, u1, 'removed', NOW + 2),
          change(ws, a.id, u1, 'added', NOW + 3),
        ]);
        const seqs = all.map((c) => c.seq);
        expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
        expect(history.map((c) => c.seq)).toEqual([seqs[0], seqs[3], seqs[4]]);
        expect(await store.changesAfter(seqs[1]!, 2)).toEqual(all.slice(2, 4));
        expect(await store.changesAfter(seqs.at(-1)!, 10)).toEqual([]);
        // Later changes follow every seq handed out.
        await store.record(changes(change(ws, a.id, u2, 'removed', NOW + 4)));
        const [next] = await store.changesAfter(seqs.at(-1)!, 10);
        expect(next).toMatchObject({ mpid: u2, change: 'removed' });
        expect(next!.seq).toBeGreaterThan(seqs.at(-1)!);
      });

      it('finds the users due at or before a time, soonest first, of every workspace', async () => {
        const [u1, u2, u3, u4, u5] = ['31', '32', '33', '34', '35'].map(mpid) as [Mpid, Mpid, Mpid, Mpid, Mpid];
        await store.record({
          users: [
            user(ws, u1, { dueMs: NOW + 30 }),
            user(ws, u2, { dueMs: NOW - 10 }),
            user(other, u3, { dueMs: NOW }),
            user(ws, u4, { dueMs: null }),
            user(ws, u5, { dueMs: NOW + 1 }),
          ],
          changes: [],
          offsets: new Map(),
        });
        expect(await store.due(NOW, 10)).toEqual([{ workspaceId: ws, mpid: u2 }, { workspaceId: other, mpid: u3 }]);
        expect(await store.due(NOW + 30, 2)).toEqual([{ workspaceId: ws, mpid: u2 }, { workspaceId: other, mpid: u3 }]);
        expect(await store.due(NOW + 30, 10)).toEqual([u2, u3, u5, u1].map((u) => ({ workspaceId: u === u3 ? other : ws, mpid: u })));
        expect(await store.due(NOW - 11, 10)).toEqual([]);
        // Users whose due time passed or went are due no more.
        await store.record({ users: [user(ws, u2, { dueMs: null }), user(other, u3, { dueMs: NOW + 100 })], changes: [], offsets: new Map() });
        expect(await store.due(NOW + 30, 10)).toEqual([{ workspaceId: ws, mpid: u5 }, { workspaceId: ws, mpid: u1 }]);
      });

      it('erases everything it holds of some users at once, history included, and nothing of the others', async () => {
        const a = await created(ws, 'a');
        const b = await created(other, 'b');
        const [gone, alsoGone, stays] = [mpid('-41'), mpid('44'), mpid('42')];
        await store.record({
          users: [user(ws, gone, { dueMs: NOW }), user(ws, alsoGone, { dueMs: NOW }), user(ws, stays, { dueMs: NOW }), user(other, gone, { dueMs: NOW })],
          changes: [
            change(ws, a.id, gone, 'added'), change(ws, a.id, alsoGone, 'added'), change(ws, a.id, alsoGone, 'removed'),
            change(ws, a.id, stays, 'added'), change(other, b.id, gone, 'added'),
          ],
          offsets: new Map([[0, 1]]),
        });
        // Their states (2), the membership left (1) and their changes (3); nothing of the unknown user.
        expect(await store.eraseUsers(ws, [gone, mpid('43'), alsoGone])).toBe(6);
        expect([...(await store.users(ws, [gone, alsoGone, stays])).keys()]).toEqual([stays]);
        expect(await store.members(ws, a.id, null, 10)).toEqual([{ mpid: stays, addedAtMs: NOW }]);
        expect(await store.size(ws, a.id)).toBe(1);
        expect(await store.membershipsOf(ws, gone)).toEqual([]);
        expect(await store.historyOf(ws, gone)).toEqual([]);
        expect(await store.historyOf(ws, alsoGone)).toEqual([]);
        expect((await store.changesAfter(0, 10)).map((c) => [c.workspaceId, c.mpid])).toEqual([[ws, stays], [other, gone]]);
        expect((await store.due(NOW, 10)).sort(byWorkspace)).toEqual([{ workspaceId: ws, mpid: stays }, { workspaceId: other, mpid: gone }]);
        // The same MPID in another workspace is another user.
        expect((await store.users(other, [gone])).size).toBe(1);
        expect(await store.size(other, b.id)).toBe(1);
        expect(await store.historyOf(other, gone)).toHaveLength(1);
        expect(await store.appliedOffsets()).toEqual(new Map([[0, 1]]));
        expect(await store.audienceChangesPending(ws, a.id, 0)).toEqual({ count: 1, oldestAtMs: NOW });
        // Erasing again, or no user, removes nothing.
        expect(await store.eraseUsers(ws, [gone, alsoGone])).toBe(0);
        expect(await store.eraseUsers(ws, [])).toBe(0);
      });

      it('forgets what is derived from the log on reset, keeping the definitions', async () => {
        const a = await created(ws, 'a', { is_active: true, revision: 1 });
        const u = mpid('51');
        await store.putCalculation({ workspaceId: ws, id: a.id, revision: 1, status: 'calculating', handover: null, phase: 'events', cursor: null, usersDone: 0, usersTotal: null, startedAtMs: NOW, completedAtMs: null });
        await store.record({ users: [user(ws, u, { dueMs: NOW })], changes: [change(ws, a.id, u, 'added')], offsets: new Map([[0, 5]]) });
        const revision = await store.revision();
        await store.reset();
        expect(await store.users(ws, [u])).toEqual(new Map());
        expect(await store.members(ws, a.id, null, 10)).toEqual([]);
        expect(await store.size(ws, a.id)).toBe(0);
        expect(await store.membershipsOf(ws, u)).toEqual([]);
        expect(await store.historyOf(ws, u)).toEqual([]);
        expect(await store.changesAfter(0, 10)).toEqual([]);
        expect(await store.due(NOW, 10)).toEqual([]);
        expect(await store.calculation(ws, a.id, 1)).toBeUndefined();
        expect(await store.appliedOffsets()).toEqual(new Map());
        expect(await store.list(ws)).toEqual([a]);
        expect(await store.active()).toEqual([a]);
        expect(await store.revision()).toBe(revision);
      });
    });

    describe('workspaces', () => {
      it('never lets one workspace read or write another\'s audiences, members or users', async () => {
        const a = await created(ws, 'a', { is_active: true, revision: 1 });
        const u = mpid('61');
        await store.putCalculation({ workspaceId: ws, id: a.id, revision: 1, status: 'calculated', handover: { 0: 4 }, phase: 'users', cursor: null, usersDone: 1, usersTotal: 1, startedAtMs: NOW, completedAtMs: NOW });
        await store.record({ users: [user(ws, u)], changes: [change(ws, a.id, u, 'added')], offsets: new Map() });
        const revision = await store.revision();

        expect(await store.get(other, a.id)).toBeUndefined();
        expect(await store.list(other)).toEqual([]);
        expect(await store.update({ ...a, workspaceId: other, name: 'stolen' })).toBe(false);
        expect(await store.delete(other, a.id)).toBe(false);
        expect(await store.members(other, a.id, null, 10)).toEqual([]);
        expect(await store.size(other, a.id)).toBe(0);
        expect(await store.membershipsOf(other, u)).toEqual([]);
        expect(await store.users(other, [u])).toEqual(new Map());
        expect(await store.historyOf(other, u)).toEqual([]);
        expect(await store.calculation(other, a.id, 1)).toBeUndefined();
        expect(await store.eraseUsers(other, [u])).toBe(0);
        // Another workspace's changes naming this audience's id touch nothing of it.
        await store.record(changes(change(other, a.id, u, 'removed')));

        expect(await store.revision()).toBe(revision);
        expect(await store.get(ws, a.id)).toEqual(a);
        expect(await store.calculation(ws, a.id, 1)).toMatchObject({ status: 'calculated' });
        expect(await store.members(ws, a.id, null, 10)).toEqual([{ mpid: u, addedAtMs: NOW }]);
        expect(await store.membershipsOf(ws, u)).toEqual([{ audienceId: a.id, name: 'a', addedAtMs: NOW }]);
        expect((await store.users(ws, [u])).size).toBe(1);
        expect(await store.historyOf(ws, u)).toHaveLength(1);
      });
    });
  });
}

/** Due users tied on their due time: in no particular order, so compared sorted. */
function byWorkspace(x: { workspaceId: WorkspaceId }, y: { workspaceId: WorkspaceId }) {
  return x.workspaceId - y.workspaceId;
}

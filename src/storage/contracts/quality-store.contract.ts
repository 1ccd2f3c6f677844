import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inputId, parseMpid, workspaceId } from '../../kernel/ids.ts';
import type { DataQualityStore, NewBlockedBatch, ViolationCount } from '../../planning/quality-store.ts';

const ws = workspaceId(1);
const other = workspaceId(2);

const blocked = (offset: number, extra: Partial<NewBlockedBatch> = {}): NewBlockedBatch => ({
  workspaceId: ws,
  inputId: inputId(1),
  mpid: parseMpid('-9000000000000000001')!,
  planId: 'main',
  version: 1,
  partition: 0,
  offset,
  receivedAtMs: 1_000 * offset,
  wholeBatch: false,
  metadata: {
    dto_version: 1,
    blocked_user_identities: [],
    blocked_device_identities: [],
    blocked_event_ids: [String(offset)],
    blocked_event_attributes: [],
    blocked_user_attributes: ['hobby'],
  },
  ...extra,
});

const count = (n: number, atMs: number, extra: Partial<ViolationCount> = {}): ViolationCount => ({
  workspaceId: ws,
  planId: 'main',
  version: 1,
  subject: 'custom_event:other:Buy',
  violationType: 'invalid_value',
  key: 'price',
  count: n,
  firstSeenMs: atMs,
  lastSeenMs: atMs,
  ...extra,
});

/** The data quality store contract, run against every adapter. */
export function qualityStoreContract(name: string, open: (location: string) => Promise<DataQualityStore>, newLocation: () => string) {
  describe(`DataQualityStore contract: ${name}`, () => {
    let location: string;
    let store: DataQualityStore;

    beforeEach(async () => {
      location = newLocation();
      store = await open(location);
    });
    afterEach(async () => {
      await store.close();
    });

    it('keeps a blocked batch once per log position, with its document', async () => {
      await store.record({ blocked: [blocked(1), blocked(2)], violations: [], offsets: new Map([[0, 2]]) });
      await store.record({ blocked: [blocked(2, { planId: 'changed' })], violations: [], offsets: new Map() });
      const rows = await store.blocked(ws, { planId: 'main' }, 10);
      expect(rows.map((r) => r.offset)).toEqual([1, 2]);
      expect(rows[0]!.metadata).toEqual(blocked(1).metadata);
      expect(rows[0]).toMatchObject({ mpid: '-9000000000000000001', wholeBatch: false, backfilledAtMs: null, version: 1 });
      expect(await store.countBlocked(ws, { planId: 'changed' })).toBe(0);
      expect(await store.countBlocked(other, { planId: 'main' })).toBe(0);
    });

    it('pages blocked batches by id and filters by version, time and backfill state', async () => {
      await store.record({
        blocked: [blocked(1), blocked(2, { version: 2 }), blocked(3), blocked(4)],
        violations: [],
        offsets: new Map(),
      });
      const first = await store.blocked(ws, { planId: 'main' }, 2);
      const rest = await store.blocked(ws, { planId: 'main', afterId: first.at(-1)!.id }, 10);
      expect(await store.countBlocked(ws, { planId: 'main', afterId: first.at(-1)!.id })).toBe(2);
      expect([...first, ...rest].map((r) => r.offset)).toEqual([1, 2, 3, 4]);
      expect(await store.countBlocked(ws, { planId: 'main', version: 1 })).toBe(3);
      expect(await store.countBlocked(ws, { planId: 'main', fromMs: 2_000, toMs: 3_000 })).toBe(2);
      await store.markBackfilled(ws, [first[0]!.id], 50);
      await store.markBackfilled(ws, [first[0]!.id], 99);
      expect(await store.countBlocked(ws, { planId: 'main', pending: true })).toBe(3);
      const [marked] = await store.blocked(ws, { planId: 'main' }, 1);
      expect(marked!.backfilledAtMs).toBe(50);
      await store.record({ blocked: [blocked(1)], violations: [], offsets: new Map() });
      expect(await store.countBlocked(ws, { planId: 'main', pending: true })).toBe(3);
    });

    it('adds violation counts and keeps first and last seen', async () => {
      await store.record({ blocked: [], violations: [count(2, 100), count(1, 50, { key: 'color' })], offsets: new Map([[3, 10]]) });
      await store.record({ blocked: [], violations: [count(3, 300)], offsets: new Map([[3, 12], [4, 1]]) });
      await store.record({ blocked: [], violations: [count(1, 10, { version: 2 })], offsets: new Map([[3, 11]]) });
      const v1 = await store.violations(ws, 'main', 1);
      expect(v1.map((v) => [v.key, v.count, v.firstSeenMs, v.lastSeenMs])).toEqual([
        ['price', 5, 100, 300],
        ['color', 1, 50, 50],
      ]);
      expect((await store.violations(ws, 'main')).length).toBe(3);
      expect(await store.violations(other, 'main')).toEqual([]);
      expect(await store.appliedOffsets()).toEqual(new Map([[3, 12], [4, 1]]));
    });

    it('forgets counts and offsets on reset but keeps blocked data', async () => {
      await store.record({ blocked: [blocked(1)], violations: [count(1, 1)], offsets: new Map([[0, 1]]) });
      await store.resetViolations();
      expect(await store.violations(ws, 'main')).toEqual([]);
      expect(await store.appliedOffsets()).toEqual(new Map());
      expect(await store.countBlocked(ws, { planId: 'main' })).toBe(1);
    });

    it("erases some users' blocked batches at once, keeping violation counts and everyone else's blocked data", async () => {
      const [gone, alsoGone, stays] = [parseMpid('-81')!, parseMpid('84')!, parseMpid('82')!];
      await store.record({
        blocked: [
          blocked(1, { mpid: gone }), blocked(2, { mpid: stays }), blocked(3, { mpid: gone, version: 2 }), blocked(4, { mpid: gone, workspaceId: other }),
          blocked(5, { mpid: alsoGone }),
        ],
        violations: [count(3, 1)],
        offsets: new Map([[0, 4]]),
      });
      const [first] = await store.blocked(ws, { planId: 'main' }, 1);
      await store.markBackfilled(ws, [first!.id], 5);
      expect(await store.eraseUsers(ws, [gone, parseMpid('83')!, alsoGone])).toBe(3);
      expect((await store.blocked(ws, { planId: 'main' }, 10)).map((b) => [b.mpid, b.offset])).toEqual([[stays, 2]]);
      expect((await store.blocked(other, { planId: 'main' }, 10)).map((b) => [b.mpid, b.offset])).toEqual([[gone, 4]]);
      expect((await store.violations(ws, 'main'))[0]!.count).toBe(3);
      expect(await store.appliedOffsets()).toEqual(new Map([[0, 4]]));
      expect(await store.eraseUsers(ws, [gone, alsoGone])).toBe(0);
      expect(await store.eraseUsers(ws, [])).toBe(0);
    });

    it('keeps everything across a reopen', async () => {
      await store.record({ blocked: [blocked(1)], violations: [count(1, 1)], offsets: new Map([[0, 1]]) });
      await store.close();
      store = await open(location);
      expect(await store.countBlocked(ws, { planId: 'main' })).toBe(1);
      expect((await store.violations(ws, 'main'))[0]!.count).toBe(1);
      expect(await store.appliedOffsets()).toEqual(new Map([[0, 1]]));
    });
  });
}

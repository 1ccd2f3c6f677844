import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CATALOG_LIMITS, type CatalogStore } from '../../catalog/catalog-store.ts';
import type { CatalogAttribute, CatalogPoint } from '../../catalog/catalog.ts';
import { type Mpid, parseMpid, workspaceId } from '../../kernel/ids.ts';

const attribute = (name: string, extra: Partial<CatalogAttribute> = {}): CatalogAttribute => ({
  name,
  count: 1,
  firstSeenMs: 1000,
  lastSeenMs: 1000,
  types: ['string'],
  examples: ['a'],
  ...extra,
});

const search = (extra: Partial<CatalogPoint> = {}): CatalogPoint => ({
  workspaceId: workspaceId(1),
  key: 'custom_event:search:Search',
  match: { type: 'custom_event', criteria: { event_name: 'Search', custom_event_type: 'search' } },
  category: 'custom_events',
  name: 'Search',
  count: 2,
  firstSeenMs: 1000,
  lastSeenMs: 2000,
  environments: ['production'],
  attributes: [attribute('query')],
  ...extra,
});

const users = (extra: Partial<CatalogPoint> = {}): CatalogPoint => ({
  workspaceId: workspaceId(1),
  key: 'user_attributes',
  match: { type: 'user_attributes' },
  category: 'user_information',
  name: 'user_attributes',
  count: 1,
  firstSeenMs: 500,
  lastSeenMs: 500,
  environments: ['development'],
  attributes: [attribute('tags', { types: ['string-list'], examples: [['a', 'b']] })],
  ...extra,
});

const none = new Map<number, number>();

/** The catalog store contract, run against every adapter. */
export function catalogStoreContract(name: string, open: (location: string) => Promise<CatalogStore>, newLocation: () => string) {
  describe(`CatalogStore contract: ${name}`, () => {
    let location: string;
    let store: CatalogStore;
    const ws = workspaceId(1);

    beforeEach(async () => {
      location = newLocation();
      store = await open(location);
    });
    afterEach(async () => {
      await store.close();
    });

    it('keeps points with their attributes, per workspace, by key, across a reopen', async () => {
      const other = search({ workspaceId: workspaceId(2), count: 9 });
      await store.apply([search(), users(), other], none);
      await store.close();
      store = await open(location);
      expect(await store.points(ws)).toEqual([search(), users()]);
      expect(await store.points(workspaceId(2))).toEqual([other]);
      expect(await store.points(workspaceId(3))).toEqual([]);
    });

    it('adds deltas to the totals: counts, first and last seen, environments, types, distinct examples up to 3', async () => {
      await store.apply([search()], none);
      await store.apply(
        [
          search({
            count: 3,
            firstSeenMs: 500,
            lastSeenMs: 1500,
            environments: ['development', 'production'],
            attributes: [
              attribute('query', { count: 4, firstSeenMs: 400, lastSeenMs: 3000, types: ['number', 'string'], examples: ['a', 5, 'b'] }),
              attribute('page', { types: [], examples: [] }),
            ],
          }),
        ],
        none,
      );
      await store.apply([search({ count: 1, firstSeenMs: 5000, lastSeenMs: 5000, attributes: [attribute('query', { examples: ['z'] })] })], none);
      expect(await store.points(ws)).toEqual([
        search({
          count: 6,
          firstSeenMs: 500,
          lastSeenMs: 5000,
          environments: ['production', 'development'],
          attributes: [
            attribute('page', { types: [], examples: [] }),
            attribute('query', { count: 6, firstSeenMs: 400, lastSeenMs: 3000, types: ['string', 'number'], examples: ['a', 5, 'b'] }),
          ],
        }),
      ]);
    });

    it('merges several deltas of one point in one apply; the first gives the match and name', async () => {
      await store.apply([search({ count: 1 }), search({ count: 2, name: 'ignored', attributes: [attribute('x')] })], none);
      const [point] = await store.points(ws);
      expect(point).toMatchObject({ name: 'Search', count: 3 });
      expect(point!.attributes.map((a) => a.name)).toEqual(['query', 'x']);
    });

    it("keeps a point's description across a reopen: the last one given, until another is", async () => {
      await store.apply([search({ description: 'A search' })], none);
      await store.apply([search()], none);
      await store.close();
      store = await open(location);
      expect((await store.points(ws))[0]).toMatchObject({ count: 4, description: 'A search' });
      await store.apply([search({ description: 'Searched the shop' }), users()], none);
      const [point, userPoint] = await store.points(ws);
      expect(point!.description).toBe('Searched the shop');
      expect(userPoint).toEqual(users());
      expect(userPoint).not.toHaveProperty('description');
    });

    it("erases the examples some users gave, at once, keeping the statistics, other users' examples and other workspaces'", async () => {
      const [gone, alsoGone, stays] = [parseMpid('-101') as Mpid, parseMpid('104') as Mpid, parseMpid('102') as Mpid];
      const query = (examples: CatalogAttribute['examples'], exampleSources: Mpid[]) => [attribute('query', { examples, exampleSources })];
      const tags = attribute('tags', { types: ['string-list'], examples: [['x', 'y']], exampleSources: [alsoGone] });
      await store.apply([search({ attributes: query(['a', 'b'], [gone, stays]) }), users({ attributes: [tags] })], none);
      await store.apply([search({ workspaceId: workspaceId(2), attributes: query(['a'], [gone]) })], none);
      // 'a' is kept already (the first user's); 'c' is new.
      await store.apply([search({ attributes: query(['a', 'c'], [stays, gone]) })], none);
      expect((await store.points(ws))[0]!.attributes[0]!.examples).toEqual(['a', 'b', 'c']);
      // Totals never carry whose each example is.
      expect((await store.points(ws))[0]!.attributes[0]).not.toHaveProperty('exampleSources');

      // 'a' and 'c' of one's, the tags of the other's; nothing of the unknown user.
      expect(await store.eraseUsers(ws, [gone, parseMpid('103') as Mpid, alsoGone])).toBe(3);

      const [point, userPoint] = await store.points(ws);
      expect(point!.attributes).toEqual([attribute('query', { count: 2, examples: ['b'] })]);
      expect(point!.count).toBe(4);
      expect(userPoint!.attributes).toEqual([attribute('tags', { types: ['string-list'], examples: [] })]);
      expect((await store.points(workspaceId(2)))[0]!.attributes[0]!.examples).toEqual(['a']);
      // The place freed takes the next new value.
      await store.apply([search({ attributes: query(['d'], [stays]) })], none);
      expect((await store.points(ws))[0]!.attributes[0]!.examples).toEqual(['b', 'd']);
      await store.close();
      store = await open(location);
      expect(await store.eraseUsers(ws, [gone, alsoGone])).toBe(0);
      expect(await store.eraseUsers(ws, [])).toBe(0);
      expect(await store.eraseUsers(ws, [stays])).toBe(2);
      expect((await store.points(workspaceId(2)))[0]!.attributes[0]!.examples).toEqual(['a']);
    });

    it('records the applied offset of each partition with the deltas, never moving it back', async () => {
      expect(await store.appliedOffsets()).toEqual(new Map());
      await store.apply([search()], new Map([[0, 10], [3, 7]]));
      await store.apply([], new Map([[0, 4], [1, 2]]));
      await store.close();
      store = await open(location);
      expect(await store.appliedOffsets()).toEqual(new Map([[0, 10], [1, 2], [3, 7]]));
    });

    it('applies all or nothing: a failing apply leaves points and offsets as they were', async () => {
      await store.apply([search()], new Map([[0, 5]]));
      const broken = { ...search({ count: 100 }), attributes: [attribute('boom', { firstSeenMs: undefined as unknown as number })] };
      await expect(store.apply([users(), broken], new Map([[0, 9]]))).rejects.toThrow();
      expect(await store.points(ws)).toEqual([search()]);
      expect(await store.appliedOffsets()).toEqual(new Map([[0, 5]]));
    });

    it('resets everything', async () => {
      await store.apply([search(), users()], new Map([[0, 5]]));
      await store.reset();
      expect(await store.points(ws)).toEqual([]);
      expect(await store.appliedOffsets()).toEqual(new Map());
      await store.apply([users()], new Map([[0, 1]]));
      expect(await store.points(ws)).toEqual([users()]);
      expect(await store.appliedOffsets()).toEqual(new Map([[0, 1]]));
    });

    it('adds no new points or attributes past the limits, but keeps counting known ones', async () => {
      const many = Array.from({ length: CATALOG_LIMITS.dataPointsPerWorkspace + 5 }, (_, i) =>
        search({ key: `custom_event:other:e${String(i).padStart(5, '0')}`, name: `e${i}`, attributes: [] }),
      );
      await store.apply(many, none);
      await store.apply([search({ key: 'custom_event:other:late', attributes: [] }), many[0]!], none);
      const points = await store.points(ws);
      expect(points).toHaveLength(CATALOG_LIMITS.dataPointsPerWorkspace);
      expect(points[0]!.count).toBe(4);
      expect(points.some((p) => p.key === 'custom_event:other:late')).toBe(false);
      await store.apply([users({ workspaceId: workspaceId(2) })], none);
      expect(await store.points(workspaceId(2))).toEqual([users({ workspaceId: workspaceId(2) })]);

      const other = workspaceId(3);
      const attributes = Array.from({ length: CATALOG_LIMITS.attributesPerDataPoint + 3 }, (_, i) => attribute(`a${String(i).padStart(5, '0')}`));
      await store.apply([users({ workspaceId: other, attributes })], none);
      await store.apply([users({ workspaceId: other, attributes: [attribute('zzz'), attribute('a00000')] })], none);
      const [kept] = await store.points(other);
      expect(kept!.attributes).toHaveLength(CATALOG_LIMITS.attributesPerDataPoint);
      expect(kept!.attributes[0]).toMatchObject({ name: 'a00000', count: 2 });
      expect(kept!.attributes.some((a) => a.name === 'zzz')).toBe(false);
    });
  });
}

import { describe, expect, it } from 'vitest';
import { type Mpid, workspaceId } from '../kernel/ids.ts';
import type { BatchEvent } from '../model/batch.ts';
import { EVENT_TYPES } from '../model/event-types.ts';
import { eventMatch, matchKey } from '../planning/data-plan.ts';
import { attributeTypeOf, CatalogAccumulator, isIsoDate } from './catalog-accumulator.ts';
import type { CatalogPoint } from './catalog.ts';
import { customEvent, logRecord } from '../../test/helpers/log-records.ts';

const ws = workspaceId(1);

const byKey = (points: CatalogPoint[], key: string) => points.find((p) => p.key === key);

describe('attribute type detection', () => {
  it.each([
    ['hello', 'string'],
    ['42', 'string'],
    ['', 'string'],
    ['2024-05-01', 'date-time'],
    ['2024-05-01T10:20:30Z', 'date-time'],
    ['2024-05-01T10:20:30.123+02:00', 'date-time'],
    ['2024-05-01T10:20', 'date-time'],
    ['2024-13-01', 'string'],
    ['2024-05-01 10:20', 'string'],
    ['May 1, 2024', 'string'],
    [12, 'number'],
    [1.5, 'number'],
    [0, 'number'],
    [true, 'boolean'],
    [false, 'boolean'],
    [['a', 'b'], 'string-list'],
    [[], 'string-list'],
  ])('%j is %s', (value, type) => {
    expect(attributeTypeOf(value)).toBe(type);
  });

  it.each([[null], [undefined], [{ a: 1 }], [[1, 2]], [['a', 1]]])('%j has no type', (value) => {
    expect(attributeTypeOf(value)).toBeUndefined();
  });

  it('looks at the shape before the pattern', () => {
    expect(isIsoDate('2024-05-01T00:00:00Z')).toBe(true);
    expect(isIsoDate('x024-05-01')).toBe(false);
    expect(isIsoDate('2024-05-01' + 'T'.repeat(40))).toBe(false);
  });
});

describe('point keys', () => {
  const events: BatchEvent[] = [
    customEvent('Search', undefined, 'search'),
    { event_type: 'screen_view', data: { screen_name: 'Home' } },
    { event_type: 'commerce_event', data: { product_action: { action: 'purchase' } } },
    { event_type: 'commerce_event', data: { promotion_action: { action: 'click' } } },
    { event_type: 'commerce_event', data: { product_impressions: [{ product_impression_list: 'x' }] } },
    { event_type: 'commerce_event', data: {} },
    { event_type: 'application_state_transition', data: { application_transition_type: 'application_background' } },
    ...EVENT_TYPES.map((t): BatchEvent => ({ event_type: t, data: {} })),
  ];

  it.each(events.map((e) => [`${e.event_type} ${JSON.stringify(e.data)}`, e]))('%s: the match key and match, or the event type', (_label, event) => {
    const acc = new CatalogAccumulator();
    acc.observe(logRecord({ events: [event, event] }));
    const match = eventMatch(event);
    expect(acc.drain()).toEqual([
      expect.objectContaining({ key: match ? matchKey(match) : event.event_type, match: match ?? { type: event.event_type }, count: 2 }),
    ]);
  });

  it('gives points that differ in any criterion keys of their own', () => {
    const acc = new CatalogAccumulator();
    const kinds: BatchEvent[] = [
      customEvent('A', undefined, 'search'),
      customEvent('A', undefined, 'other'),
      customEvent('B', undefined, 'search'),
      { event_type: 'screen_view', data: { screen_name: 'A' } },
      { event_type: 'commerce_event', data: { product_action: { action: 'A' } } },
      { event_type: 'commerce_event', data: { promotion_action: { action: 'A' } } },
      { event_type: 'application_state_transition', data: { application_transition_type: 'A' } },
    ];
    acc.observe(logRecord({ events: [...kinds, ...kinds] }));
    const points = acc.drain();
    expect(points).toHaveLength(kinds.length);
    expect(new Set(points.map((p) => p.key)).size).toBe(kinds.length);
    expect(points.every((p) => p.count === 2)).toBe(true);
  });
});

describe('CatalogAccumulator', () => {
  it('counts each kind of event once per event, with first and last seen and environments', () => {
    const acc = new CatalogAccumulator();
    acc.observe(logRecord({ events: [customEvent('Search'), customEvent('Search'), { event_type: 'screen_view', data: { screen_name: 'Home' } }] }, { receivedAtMs: 2000 }));
    acc.observe(logRecord({ environment: 'development', events: [customEvent('Search')] }, { receivedAtMs: 1000 }));
    acc.observe(logRecord({ events: [customEvent('Search', undefined, 'search')] }, { receivedAtMs: 3000 }));
    const points = acc.drain();
    expect(byKey(points, 'custom_event:navigation:Search')).toEqual({
      workspaceId: ws,
      key: 'custom_event:navigation:Search',
      match: { type: 'custom_event', criteria: { event_name: 'Search', custom_event_type: 'navigation' } },
      category: 'custom_events',
      name: 'Search',
      count: 3,
      firstSeenMs: 1000,
      lastSeenMs: 2000,
      environments: ['production', 'development'],
      attributes: [],
    });
    expect(byKey(points, 'custom_event:search:Search')?.count).toBe(1);
    expect(byKey(points, 'screen_view::Home')).toMatchObject({ category: 'screen_views', name: 'Home', count: 1, match: { type: 'screen_view', criteria: { screen_name: 'Home' } } });
    expect(points).toHaveLength(3);
  });

  it('keeps workspaces apart', () => {
    const acc = new CatalogAccumulator();
    acc.observe(logRecord({ events: [customEvent('A')] }, { workspace: 1 }));
    acc.observe(logRecord({ events: [customEvent('A')] }, { workspace: 2 }));
    const points = acc.drain();
    expect(points.map((p) => [p.workspaceId, p.key, p.count])).toEqual([
      [1, 'custom_event:navigation:A', 1],
      [2, 'custom_event:navigation:A', 1],
    ]);
  });

  it('lists events no plan can describe under their event type, in their category', () => {
    const acc = new CatalogAccumulator();
    acc.observe(
      logRecord({
        events: [
          { event_type: 'push_registration', data: { push_token: 't', register: true } },
          { event_type: 'user_attribute_change', data: { user_attribute_name: 'plan', new: 'gold' } },
          { event_type: 'commerce_event', data: { product_action: { action: 'purchase' } } },
          { event_type: 'session_start', data: { custom_attributes: { source: 'push' } } },
        ],
      }),
    );
    const points = acc.drain();
    expect(points.map((p) => [p.key, p.match, p.category, p.name])).toEqual([
      ['push_registration', { type: 'push_registration' }, 'other', 'push_registration'],
      ['user_attribute_change', { type: 'user_attribute_change' }, 'user_information', 'user_attribute_change'],
      ['product_action:purchase', { type: 'product_action', criteria: { action: 'purchase' } }, 'commerce', 'product_action:purchase'],
      ['session_start', { type: 'session_start' }, 'application_lifecycle', 'session_start'],
    ]);
    expect(byKey(points, 'session_start')?.attributes.map((a) => a.name)).toEqual(['source']);
  });

  it('counts attributes, unions their types and keeps up to 3 distinct examples, cut to 100 characters', () => {
    const acc = new CatalogAccumulator();
    const long = 'x'.repeat(150);
    const values: unknown[] = ['a', 'a', 7, null, long, 'b', 'c'];
    values.forEach((v, i) => acc.observe(logRecord({ events: [customEvent('E', { v, when: '2024-05-01T10:00:00Z', tags: ['x', long] })] }, { receivedAtMs: 100 + i })));
    acc.observe(logRecord({ events: [customEvent('E', null), customEvent('E', { flag: false })] }, { receivedAtMs: 50 }));
    const [point] = acc.drain();
    expect(point!.count).toBe(9);
    expect(point!.attributes).toEqual([
      { name: 'flag', count: 1, firstSeenMs: 50, lastSeenMs: 50, types: ['boolean'], examples: [false], exampleSources: ['1'] },
      { name: 'tags', count: 7, firstSeenMs: 100, lastSeenMs: 106, types: ['string-list'], examples: [['x', 'x'.repeat(100)]], exampleSources: ['1'] },
      { name: 'v', count: 7, firstSeenMs: 100, lastSeenMs: 106, types: ['string', 'number'], examples: ['a', 7, 'x'.repeat(100)], exampleSources: ['1', '1', '1'] },
      { name: 'when', count: 7, firstSeenMs: 100, lastSeenMs: 106, types: ['date-time'], examples: ['2024-05-01T10:00:00Z'], exampleSources: ['1'] },
    ]);
  });

  it('names the user whose record gave each example, and no user for an attribute without examples', () => {
    const acc = new CatalogAccumulator();
    const of = (mpid: string, plan: unknown) => ({ ...logRecord({ events: [customEvent('E', { plan })], user_attributes: { plan } }), mpid: mpid as Mpid });
    [of('-1', 'gold'), of('2', 'gold'), of('3', 'silver'), of('4', null)].forEach((r) => acc.observe(r));
    const points = acc.drain();
    for (const key of ['custom_event:navigation:E', 'user_attributes']) {
      expect(byKey(points, key)?.attributes).toMatchObject([{ name: 'plan', examples: ['gold', 'silver'], exampleSources: ['-1', '3'] }]);
    }
    acc.observe(of('5', null));
    expect(acc.drain()[0]!.attributes[0]).not.toHaveProperty('exampleSources');
  });

  it('counts an attribute sent as null without giving it a type', () => {
    const acc = new CatalogAccumulator();
    acc.observe(logRecord({ events: [customEvent('E', { gone: null })], user_attributes: { tag: null } }));
    const points = acc.drain();
    expect(byKey(points, 'custom_event:navigation:E')?.attributes).toEqual([{ name: 'gone', count: 1, firstSeenMs: 1_700_000_000_000, lastSeenMs: 1_700_000_000_000, types: [], examples: [] }]);
    expect(byKey(points, 'user_attributes')?.attributes[0]).toMatchObject({ name: 'tag', count: 1, types: [] });
  });

  it('keeps user attributes and identities as one point each, counted per batch; no identity values', () => {
    const acc = new CatalogAccumulator();
    acc.observe(logRecord({ user_attributes: { plan: 'gold', age: 31 }, user_identities: { email: 'a@example.com', customer_id: 'c1' } }, { receivedAtMs: 10 }));
    acc.observe(logRecord({ user_attributes: { plan: 'silver', interests: ['golf'] }, user_identities: { email: 'b@example.com' } }, { receivedAtMs: 20 }));
    acc.observe(logRecord({ events: [customEvent('E')] }, { receivedAtMs: 30 }));
    const points = acc.drain();
    expect(byKey(points, 'user_attributes')).toMatchObject({
      match: { type: 'user_attributes' },
      category: 'user_information',
      name: 'user_attributes',
      count: 2,
      firstSeenMs: 10,
      lastSeenMs: 20,
      attributes: [
        { name: 'age', count: 1, types: ['number'], examples: [31] },
        { name: 'interests', count: 1, types: ['string-list'], examples: [['golf']] },
        { name: 'plan', count: 2, types: ['string'], examples: ['gold', 'silver'] },
      ],
    });
    expect(byKey(points, 'user_identities')).toMatchObject({
      match: { type: 'user_identities' },
      category: 'user_information',
      count: 2,
      attributes: [
        { name: 'customer_id', count: 1, types: ['string'], examples: [] },
        { name: 'email', count: 2, types: ['string'], examples: [], firstSeenMs: 10, lastSeenMs: 20 },
      ],
    });
  });

  it("describes each event's point as the record's source documents it, and no other", () => {
    const acc = new CatalogAccumulator();
    const described = new Map([['custom_event:other:App Launched', 'Raised when the app launches.']]);
    acc.observe(logRecord({ events: [customEvent('App Launched', {}, 'other'), customEvent('Search')] }), described);
    acc.observe(logRecord({ events: [customEvent('App Launched', {}, 'other')] }));
    const points = acc.drain();
    expect(byKey(points, 'custom_event:other:App Launched')).toMatchObject({ count: 2, description: 'Raised when the app launches.' });
    expect(byKey(points, 'custom_event:navigation:Search')).not.toHaveProperty('description');
  });

  it('starts empty again once drained', () => {
    const acc = new CatalogAccumulator();
    expect(acc.isEmpty).toBe(true);
    acc.observe(logRecord({ events: [customEvent('E')] }));
    expect(acc.isEmpty).toBe(false);
    expect(acc.drain()).toHaveLength(1);
    expect(acc.isEmpty).toBe(true);
    expect(acc.drain()).toEqual([]);
  });
});

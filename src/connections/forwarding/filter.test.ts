import { describe, expect, it } from 'vitest';
import type { Batch, BatchEvent } from '../../model/batch.ts';
import { filterNameOf } from './event-names.ts';
import { applyFilter, compileFilter, type ConnectionFilter, parseFilter } from './filter.ts';

const custom = (name: string, attributes: Record<string, unknown> = {}, type = 'other'): BatchEvent =>
  ({ event_type: 'custom_event', data: { event_name: name, custom_event_type: type, custom_attributes: attributes } }) as BatchEvent;
const screen = (name: string, attributes: Record<string, unknown> = {}): BatchEvent =>
  ({ event_type: 'screen_view', data: { screen_name: name, custom_attributes: attributes } }) as BatchEvent;
const purchase = (attributes: Record<string, unknown> = {}): BatchEvent =>
  ({ event_type: 'commerce_event', data: { product_action: { action: 'purchase', products: [] }, custom_attributes: attributes } }) as BatchEvent;
const session = (): BatchEvent => ({ event_type: 'session_start', data: {} }) as BatchEvent;

const batchOf = (events: BatchEvent[], extra: Partial<Batch> = {}): Batch => ({
  events,
  environment: 'production',
  user_attributes: { tier: 'gold', ssn: '123' },
  user_identities: { customer_id: 'c1', email: 'a@b.c' },
  ...extra,
});

const filterOf = (raw: unknown): ConnectionFilter => {
  const parsed = parseFilter(raw);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.value;
};
const namesOf = (b: Batch) => b.events.map((e) => filterNameOf(e) ?? e.event_type);

describe('parseFilter', () => {
  it('takes no filter as forwarding everything, and defaults event_type to custom_event', () => {
    expect(parseFilter(undefined)).toEqual({ ok: true, value: { send_new_data_points_by_default: true, data_points: [] } });
    expect(parseFilter({})).toEqual({ ok: true, value: { send_new_data_points_by_default: true, data_points: [] } });
    expect(filterOf({ data_points: [{ type: 'event', name: 'Play', enabled: false }] }).data_points).toEqual([
      { type: 'event', event_type: 'custom_event', name: 'Play', enabled: false },
    ]);
  });

  it('names every problem by its path, all at once', () => {
    const parsed = parseFilter({
      send_new_data_points_by_default: 'yes',
      data_points: [
        { type: 'event', enabled: true },
        { type: 'page', name: 'x', enabled: true },
        { type: 'user_attribute', enabled: false },
        { type: 'event', event_type: 'click', name: 'x', enabled: true },
        { type: 'user_attribute', name: 'tier', enabled: 'no' },
        { type: 'event_attribute', name: 'song', enabled: false },
        { type: 'user_identity', name: 'passport', enabled: false },
        { type: 'user_identity', name: 'ios_idfa', enabled: false },
        { type: 'event', event_type: 'commerce_event', name: 'purchase', enabled: false },
        { type: 'event', event_type: 'session_start', name: 'Start', enabled: false },
        { type: 'event_attribute', event_name: 'Play', attribute_name: 'song', enabled: false },
        'nope',
      ],
    });
    expect(parsed.ok).toBe(false);
    const problems = parsed.ok ? [] : parsed.problems;
    const at = (i: number, field = '') => problems.filter((p) => p.startsWith(`filter.data_points[${i}]${field}`));
    expect(problems).toContain('filter.send_new_data_points_by_default: must be true or false');
    expect(at(0, '.name')[0]).toMatch(/required, the event's name/);
    expect(at(1, '.type')[0]).toMatch(/must be one of "event", "event_attribute", "user_attribute", "user_identity"/);
    expect(at(2)).toEqual(["filter.data_points[2].name: required, the data point's name"]);
    expect(at(3, '.event_type')[0]).toMatch(/"click" is not an event type/);
    expect(at(4)).toEqual(['filter.data_points[4].enabled: required, true or false']);
    expect(at(5, '.event_name')).toEqual(['filter.data_points[5].event_name: required, the name of the event the attribute belongs to']);
    expect(at(6, '.name')[0]).toMatch(/"passport" is not an identity type/);
    expect(at(7, '.name')[0]).toMatch(/"ios_idfa" is a device identity/);
    expect(at(8, '.name')[0]).toMatch(/"purchase" is not a commerce event name; expected one of "product_add_to_cart"/);
    expect(at(9, '.name')[0]).toMatch(/session_start events have no name/);
    expect(at(10, '.attribute_name')[0]).toMatch(/unknown field; an event_attribute data point has type, event_type, event_name, name, enabled/);
    expect(at(11)).toEqual(['filter.data_points[11]: must be an object {"type", "name", "enabled", ...}']);
  });

  it('refuses a data point listed twice, and a filter that is not an object', () => {
    const parsed = parseFilter(
      { data_points: [{ type: 'user_attribute', name: 'a', enabled: true }, { type: 'user_attribute', name: 'a', enabled: false }] },
      'connection.filter',
    );
    expect(parsed).toEqual({ ok: false, problems: ['connection.filter.data_points[1]: the same data point as connection.filter.data_points[0]'] });
    expect(parseFilter([1])).toEqual({ ok: false, problems: [expect.stringMatching(/^filter: must be an object/)] });
  });

  it('normalises spellings: the Identity API identity names, both wishlist spellings', () => {
    const f = filterOf({
      data_points: [
        { type: 'user_identity', name: 'customerid', enabled: false },
        { type: 'event', event_type: 'commerce_event', name: 'product_remove_from_wish_list', enabled: false },
      ],
    });
    expect(f.data_points).toEqual([
      { type: 'user_identity', name: 'customer_id', enabled: false },
      { type: 'event', event_type: 'commerce_event', name: 'product_remove_from_wishlist', enabled: false },
    ]);
  });
});

describe('applyFilter', () => {
  const events = [custom('Play', { song: 'x', artist: 'y' }), custom('Pause'), screen('Home', { tab: 1 }), purchase({ coupon: 'c' }), session()];

  it('forwards everything by default, as a new batch', () => {
    const batch = batchOf(events);
    const out = applyFilter(batch, filterOf(undefined));
    expect(out).toEqual(batch);
    expect(out).not.toBe(batch);
  });

  it('removes a disabled event, screen, commerce action or event type, and keeps the rest', () => {
    const f = filterOf({
      data_points: [
        { type: 'event', name: 'Pause', enabled: false },
        { type: 'event', event_type: 'screen_view', name: 'Home', enabled: false },
        { type: 'event', event_type: 'commerce_event', name: 'product_purchase', enabled: false },
        { type: 'event', event_type: 'session_start', enabled: false },
      ],
    });
    expect(namesOf(applyFilter(batchOf(events), f))).toEqual(['Play']);
  });

  it('matches names exactly, case included', () => {
    const f = filterOf({ data_points: [{ type: 'event', name: 'play', enabled: false }] });
    expect(namesOf(applyFilter(batchOf([custom('Play'), custom('play')]), f))).toEqual(['Play']);
  });

  it('a disabled event type removes every event of the type, whatever its own switch says', () => {
    const f = filterOf({
      data_points: [
        { type: 'event', event_type: 'custom_event', enabled: false },
        { type: 'event', name: 'Play', enabled: true },
      ],
    });
    expect(namesOf(applyFilter(batchOf(events), f))).toEqual(['Home', 'product_purchase', 'session_start']);
  });

  it('a custom event type scopes a point to the custom events of that type; custom_event covers them all', () => {
    const nav = custom('Go', {}, 'navigation');
    const search = custom('Go', {}, 'search');
    const byNavigation = filterOf({ data_points: [{ type: 'event', event_type: 'navigation', name: 'Go', enabled: false }] });
    expect(applyFilter(batchOf([nav, search]), byNavigation).events).toEqual([search]);
    const byAny = filterOf({ data_points: [{ type: 'event', name: 'Go', enabled: false }] });
    expect(applyFilter(batchOf([nav, search]), byAny).events).toEqual([]);
    const wholeType = filterOf({ data_points: [{ type: 'event', event_type: 'navigation', enabled: false }] });
    expect(applyFilter(batchOf([nav, search]), wholeType).events).toEqual([search]);
  });

  it('removes disabled event attributes of the named event only', () => {
    const f = filterOf({
      data_points: [
        { type: 'event_attribute', event_name: 'Play', name: 'song', enabled: false },
        { type: 'event_attribute', event_type: 'commerce_event', event_name: 'product_purchase', name: 'coupon', enabled: false },
      ],
    });
    const out = applyFilter(batchOf([...events, custom('Other', { song: 'kept' })]), f);
    expect(out.events[0]!.data.custom_attributes).toEqual({ artist: 'y' });
    expect(out.events[3]!.data.custom_attributes).toEqual({});
    expect(out.events[5]!.data.custom_attributes).toEqual({ song: 'kept' });
    expect(out.events[1]).toBe(events[1]); // unchanged events are shared, not copied
  });

  it('with new data points off, forwards only what is listed enabled (a parent on forwards no new child)', () => {
    const f = filterOf({
      send_new_data_points_by_default: false,
      data_points: [
        { type: 'event', name: 'Play', enabled: true },
        { type: 'event_attribute', event_name: 'Play', name: 'song', enabled: true },
        { type: 'event', event_type: 'screen_view', enabled: true },
        { type: 'event', event_type: 'session_start', enabled: true },
        { type: 'user_attribute', name: 'tier', enabled: true },
        { type: 'user_identity', name: 'email', enabled: true },
      ],
    });
    const out = applyFilter(batchOf(events, { deleted_user_attributes: ['tier', 'old'] }), f);
    expect(namesOf(out)).toEqual(['Play', 'session_start']);
    expect(out.events[0]!.data.custom_attributes).toEqual({ song: 'x' });
    expect(out.user_attributes).toEqual({ tier: 'gold' });
    expect(out.user_identities).toEqual({ email: 'a@b.c' });
    expect(out.deleted_user_attributes).toEqual(['tier']);
  });

  it('removes a disabled user attribute and identity everywhere they show, change events included', () => {
    const f = filterOf({
      data_points: [
        { type: 'user_attribute', name: 'ssn', enabled: false },
        { type: 'user_identity', name: 'customerid', enabled: false },
      ],
    });
    const changes = [
      { event_type: 'user_attribute_change', data: { user_attribute_name: 'ssn', new: '1' } },
      { event_type: 'user_attribute_change', data: { user_attribute_name: 'tier', new: 'gold' } },
      { event_type: 'user_identity_change', data: { new: { identity_type: 'customer_id', identity: 'c2' }, old: { identity_type: 'customer_id', identity: 'c1' } } },
      { event_type: 'user_identity_change', data: { new: { identity_type: 'email', identity: 'a@b.c' } } },
    ] as BatchEvent[];
    const out = applyFilter(batchOf(changes, { deleted_user_attributes: ['ssn'] }), f);
    expect(out.user_attributes).toEqual({ tier: 'gold' });
    expect(out.user_identities).toEqual({ email: 'a@b.c' });
    expect(out.deleted_user_attributes).toEqual([]);
    expect(out.events).toEqual([changes[1], changes[3]]);
  });

  it('never changes its input', () => {
    const batch = batchOf(events, { deleted_user_attributes: ['ssn'] });
    const before = structuredClone(batch);
    const filter = compileFilter(filterOf({ send_new_data_points_by_default: false, data_points: [{ type: 'event', name: 'Play', enabled: true }] }));
    filter(batch);
    expect(batch).toEqual(before);
  });

  it('keeps a `__proto__` attribute as data, not as a prototype', () => {
    const batch = batchOf([], { user_attributes: JSON.parse('{"__proto__": {"polluted": true}, "ssn": "1"}') as Record<string, unknown> });
    const out = applyFilter(batch, filterOf({ data_points: [{ type: 'user_attribute', name: 'ssn', enabled: false }] }));
    expect(Object.keys(out.user_attributes)).toEqual(['__proto__']);
    expect((out.user_attributes as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

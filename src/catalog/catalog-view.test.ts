import { describe, expect, it } from 'vitest';
import { BadRequest } from '../kernel/errors.ts';
import { compilePlanVersion } from '../planning/plan-compiler.ts';
import { customEvent, logRecord } from '../../test/helpers/log-records.ts';
import { CatalogAccumulator } from './catalog-accumulator.ts';
import { catalogView, filterPoints, parseCatalogFilter } from './catalog-view.ts';

const T0 = Date.parse('2024-05-01T00:00:00Z');
const DAY = 86_400_000;

function seen() {
  const acc = new CatalogAccumulator();
  acc.observe(logRecord({ events: [customEvent('Video Played', { title: 'x', secs: 3 })], user_attributes: { plan: 'gold', age: 3 } }, { receivedAtMs: T0 }));
  acc.observe(logRecord({ environment: 'development', events: [{ event_type: 'screen_view', data: { screen_name: 'Home' } }] }, { receivedAtMs: T0 + 2 * DAY }));
  acc.observe(logRecord({ events: [customEvent('Search'), { event_type: 'push_registration', data: {} }], user_identities: { email: 'a@b.c' } }, { receivedAtMs: T0 + DAY }));
  return acc.drain();
}

const problems = (f: () => unknown): string[] => {
  try {
    f();
  } catch (error) {
    if (error instanceof BadRequest) return error.details().map((d) => d.message);
    throw error;
  }
  return [];
};

describe('parseCatalogFilter', () => {
  it('reads every filter, dates as UTC', () => {
    expect(parseCatalogFilter({ category: 'commerce', search: '  ViDeo ', environment: 'development', seen_after: '2024-05-01', seen_before: '2024-05-02T12:00' })).toEqual({
      category: 'commerce',
      search: 'video',
      environment: 'development',
      seenAfterMs: T0,
      seenBeforeMs: T0 + 1.5 * DAY,
    });
    expect(parseCatalogFilter({ search: ' ' })).toEqual({});
  });

  it('names every bad date and an empty range', () => {
    expect(problems(() => parseCatalogFilter({ seen_after: 'yesterday', seen_before: '2024-05-01T10:00:00+0200x' }))).toEqual([
      expect.stringMatching(/^seen_after must be an ISO 8601 date .* \(got "yesterday"\)/),
      expect.stringMatching(/^seen_before must be an ISO 8601 date/),
    ]);
    expect(problems(() => parseCatalogFilter({ seen_after: '2024-05-02', seen_before: '2024-05-01' }))).toEqual(['seen_before must be later than seen_after.']);
  });
});

describe('filterPoints', () => {
  const points = seen();
  const names = (filter: Parameters<typeof filterPoints>[1]) => filterPoints(points, filter).map((p) => p.name);

  it('orders by category, then name', () => {
    expect(names({})).toEqual(['Search', 'Video Played', 'Home', 'user_attributes', 'user_identities', 'push_registration']);
  });

  it('filters by category, name, environment and last seen', () => {
    expect(names({ category: 'user_information' })).toEqual(['user_attributes', 'user_identities']);
    expect(names({ search: 'e' })).toEqual(['Search', 'Video Played', 'Home', 'user_attributes', 'user_identities', 'push_registration']);
    expect(names({ search: 'video' })).toEqual(['Video Played']);
    expect(names({ environment: 'development' })).toEqual(['Home']);
    expect(names({ seenAfterMs: T0 + DAY })).toEqual(['Search', 'Home', 'user_identities', 'push_registration']);
    expect(names({ seenBeforeMs: T0 + DAY })).toEqual(['Video Played', 'user_attributes']);
    expect(names({ seenAfterMs: T0 + DAY, seenBeforeMs: T0 + 2 * DAY, category: 'custom_events' })).toEqual(['Search']);
  });
});

describe('catalogView', () => {
  const plan = compilePlanVersion({
    data_points: [
      {
        match: { type: 'custom_event', criteria: { event_name: 'Video Played', custom_event_type: 'navigation' } },
        validator: { type: 'json_schema', definition: { properties: { data: { properties: { custom_attributes: { properties: { title: { type: 'string' } } } } } } } },
      },
      { match: { type: 'user_attributes' }, validator: { type: 'json_schema', definition: { properties: { plan: {} } } } },
      { match: { type: 'user_identities' }, validator: { type: 'json_schema', definition: true } },
    ],
  });
  const other = compilePlanVersion({ data_points: [{ match: { type: 'screen_view', criteria: { screen_name: 'Home' } }, validator: { type: 'json_schema' } }] });
  const view = catalogView(filterPoints(seen(), {}), [
    { planId: 'web', version: 3, compiled: plan },
    { planId: 'app', version: 1, compiled: other },
  ]);
  const byName = (name: string) => view.find((p) => p.name === name)!;

  it('shows times as ISO strings and which events are plannable', () => {
    expect(byName('Video Played')).toMatchObject({
      match: { type: 'custom_event', criteria: { event_name: 'Video Played', custom_event_type: 'navigation' } },
      category: 'custom_events',
      plannable: true,
      count: 1,
      first_seen: '2024-05-01T00:00:00.000Z',
      last_seen: '2024-05-01T00:00:00.000Z',
      environments: ['production'],
    });
    expect(byName('push_registration')).toMatchObject({ match: { type: 'push_registration' }, plannable: false, covered_by: [] });
  });

  it('lists the plans that plan each point and each attribute their schema names', () => {
    const web = { data_plan_id: 'web', version: 3 };
    expect(byName('Video Played').covered_by).toEqual([web]);
    expect(byName('Video Played').attributes.map((a) => [a.name, a.covered_by])).toEqual([
      ['secs', []],
      ['title', [web]],
    ]);
    expect(byName('Home').covered_by).toEqual([{ data_plan_id: 'app', version: 1 }]);
    expect(byName('Search').covered_by).toEqual([]);
    expect(byName('user_attributes').covered_by).toEqual([web]);
    expect(byName('user_attributes').attributes.map((a) => [a.name, a.covered_by])).toEqual([
      ['age', []],
      ['plan', [web]],
    ]);
    expect(byName('user_identities').covered_by).toEqual([web]);
    expect(byName('user_identities').attributes[0]).toMatchObject({ name: 'email', covered_by: [], examples: [] });
  });
});

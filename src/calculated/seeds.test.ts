import { describe, expect, it } from 'vitest';
import type { Batch } from '../model/batch.ts';
import type { AverageState, MostFrequentState, UniqueCountState } from './calculations.ts';
import { CALCULATION_TYPES, type CalculationType, type Definition } from './definition.ts';
import { parseSeed, seedCalculationType } from './seeds.ts';
import { batchOf, customEvent, DAY, definitionOf, HOUR, NOW, within } from './test-batches.ts';
import { type AttributeState, mergeStates, newState, observe, valueAt } from './windows.ts';

const CUTOFF = '2026-01-05';
const CUTOFF_MS = Date.UTC(2026, 0, 5);

function seedState(name: string, target: Definition | string, seed: unknown, cutoff: unknown = CUTOFF): AttributeState {
  const r = parseSeed(name, target, seed, cutoff);
  if (!r.ok) throw new Error(r.errors.join('; '));
  expect(r.cutoffMs).toBe(CUTOFF_MS);
  return r.state;
}

function errors(name: string, target: Definition | string, seed: unknown, cutoff: unknown = CUTOFF): string[] {
  const r = parseSeed(name, target, seed, cutoff);
  return r.ok ? [] : r.errors;
}

function run(def: Definition, batches: readonly Batch[], from = newState(def)): AttributeState {
  let state = from;
  for (const batch of batches) for (const event of batch.events) state = observe(def, state, event, batch, NOW);
  return state;
}

/** A definition of `type` on Play's `x` attribute. */
const defOf = (type: CalculationType, rest: Record<string, unknown> = {}): Definition =>
  definitionOf(type, { attribute_name: type === 'count' || type.endsWith('timestamp') ? null : 'x' }, rest);

describe('parseSeed: the Seeding API sample request', () => {
  it.each<[string, string, unknown, unknown]>([
    ['LTV', 'sum', { value: 100.5 }, '100.5'],
    ['Product Interests', 'unique_list', { list: ['travel', 'pets', 'kitchen'] }, ['kitchen', 'pets', 'travel']],
    ['Unique product view count', 'unique_values_count', { list: ['air jordan', 'cup', 'microwave'] }, '3'],
    ['Average Session Length', 'average', { key_value_pairs: { sum: 299.2, count: 20 } }, '14.96'],
    ['Last seen value', 'last_occurrence', { value: 'some value' }, 'some value'],
    ['First seen value', 'first_occurrence', { value: 'some value' }, 'some value'],
    ['Last seen time', 'last_occurrence_timestamp', { value: 1582589378000 }, '2020-02-25T00:09:38.000Z'],
    ['First seen time', 'first_occurrence_timestamp', { value: 1582589378000 }, '2020-02-25T00:09:38.000Z'],
    ['Min value', 'min', { value: 123 }, '123'],
    ['Max value', 'max', { value: 123 }, '123'],
    ['Favorite Item', 'most_frequent', { key_value_pairs: { 'ice cream': 10, vegen: 5, steak: 2 } }, 'ice cream'],
    ['Logins', 'count', { value: '100' }, '100'],
    ['Minimum', 'minimum', { value: '-4.5' }, '-4.5'],
    ['Maximum', 'maximum', { value: '1e3' }, '1000'],
  ])('%s (%s)', (name, type, seed, expected) => {
    const calc = seedCalculationType(type)!;
    const state = seedState(name, type, seed);
    expect(state.calculation_type).toBe(calc);
    expect(valueAt(defOf(calc), state, NOW)).toEqual(expected);
  });

  it('reads minimum and maximum as min and max, and nothing else', () => {
    expect([seedCalculationType('minimum'), seedCalculationType('maximum'), seedCalculationType('sum'), seedCalculationType('median')]).toEqual([
      'min', 'max', 'sum', undefined,
    ]);
  });
});

describe('parseSeed: errors, "<CA name>: <message>"', () => {
  it.each<[string, unknown, string[]]>([
    ['sum', { value: 'lots' }, ['LTV: Seed value must be numeric']],
    ['sum', { list: ['1'] }, ['LTV: Seed value must be specified']],
    ['min', { value: true }, ['LTV: Seed value must be numeric']],
    ['count', { value: 2.5 }, ['LTV: Seed value must be a non-negative integer']],
    ['count', { value: -1 }, ['LTV: Seed value must be a non-negative integer']],
    ['average', { value: 3 }, ['LTV: Seed key_value_pairs must be specified']],
    ['average', { key_value_pairs: { sum: 'x', count: 0 } }, ["LTV: Seed key_value_pairs 'sum' must be numeric", "LTV: Seed key_value_pairs 'count' must be a positive integer"]],
    ['average', { key_value_pairs: { sum: 1, count: 1.5 } }, ["LTV: Seed key_value_pairs 'count' must be a positive integer"]],
    ['first_occurrence', {}, ['LTV: Seed value must be specified']],
    ['last_occurrence', { value: { a: 1 } }, ['LTV: Seed value must be a string']],
    ['first_occurrence_timestamp', { value: '2020-02-25' }, ['LTV: Seed value must be a UNIX epoch timestamp in milliseconds']],
    ['last_occurrence_timestamp', { value: 1.5 }, ['LTV: Seed value must be a UNIX epoch timestamp in milliseconds']],
    ['unique_list', { value: 'a' }, ['LTV: Seed list must be specified']],
    ['unique_list', { list: ['a', null] }, ['LTV: Seed list values must be strings']],
    ['unique_list', { list: Array.from({ length: 101 }, (_, i) => `v${i}`) }, ['LTV: Seed list cannot exceed 100 values']],
    ['unique_values_count', { list: Array.from({ length: 10_001 }, (_, i) => `v${i}`) }, ['LTV: Seed list cannot exceed 10,000 values']],
    ['most_frequent', { key_value_pairs: { a: 0 } }, ['LTV: Seed key_value_pairs counts must be positive numbers']],
    ['most_frequent', { key_value_pairs: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`v${i}`, 1])) }, ['LTV: Seed key_value_pairs cannot exceed 100 values']],
    ['median', { value: 1 }, ['LTV: Invalid calculation type']],
    ['sum', 'a seed', ['LTV: Seed must be an object']],
  ])('%s %j', (type, seed, expected) => {
    expect(errors('LTV', type, seed)).toEqual(expected);
  });

  it('checks the cutoff date, and that it is the definition’s', () => {
    expect(errors('LTV', 'sum', { value: 1 }, '12/01/2019')).toEqual(['LTV: Seed cutoff date must be a date (yyyy-MM-dd)']);
    expect(errors('LTV', 'sum', { value: 1 }, null)).toEqual(['LTV: Seed cutoff date must be a date (yyyy-MM-dd)']);
    const def = defOf('sum', { seeding: { cutoff_date: '2026-01-05T00:00:00' } });
    expect(errors('LTV', def, { value: 1 }, '2026-01-05')).toEqual([]);
    expect(errors('LTV', def, { value: 1 }, '2026-01-06')).toEqual(["LTV: Seed cutoff date does not match the calculated attribute's seeding cutoff date"]);
  });

  it('accepts numbers as numeric strings and counts as strings (the API says string maps)', () => {
    expect(valueAt(defOf('average'), seedState('A', 'average', { key_value_pairs: { sum: '10', count: '4' } }), NOW)).toBe('2.5');
    expect(valueAt(defOf('most_frequent'), seedState('F', 'most_frequent', { key_value_pairs: { a: '2', b: '3' } }), NOW)).toBe('b');
    expect(valueAt(defOf('last_occurrence_timestamp'), seedState('T', 'last_occurrence_timestamp', { value: '0' }), NOW)).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('seeds with live data', () => {
  const events = (...specs: [number, unknown][]): Batch[] => specs.map(([t, x]) => batchOf([customEvent('Play', { x }, t)]));
  const before = events([CUTOFF_MS - 3 * DAY, 'b'], [CUTOFF_MS - 2 * DAY, '4'], [CUTOFF_MS - DAY, 'b'], [CUTOFF_MS - 1, '0.5']);
  const after = events([CUTOFF_MS, 'a'], [CUTOFF_MS + DAY, '10'], [CUTOFF_MS + 2 * DAY, 'a'], [CUTOFF_MS + 3 * DAY, '0.25']);

  /** A seed made from the pre-cutoff state, as a customer would compute it outside Quanta. */
  function seedFrom(type: CalculationType, state: AttributeState, def: Definition): unknown {
    const value = valueAt(def, state, NOW);
    switch (type) {
      case 'average': {
        const s = state.base as AverageState;
        return { key_value_pairs: { sum: s.sum, count: s.weight } };
      }
      case 'most_frequent':
        return { key_value_pairs: Object.fromEntries((state.base as MostFrequentState).counts) };
      case 'unique_values_count':
        return { list: (state.base as UniqueCountState).values };
      case 'unique_list':
        return { list: value };
      case 'first_occurrence_timestamp':
      case 'last_occurrence_timestamp':
        return { value: Date.parse(value as string) };
      default:
        return { value };
    }
  }

  it.each(CALCULATION_TYPES)('%s: seed ⊕ live after the cutoff equals computing over every event', (type) => {
    const full = defOf(type);
    const seeded = defOf(type, { seeding: { cutoff_date: `${CUTOFF}T00:00:00` } });
    const seed = seedState('CA', seeded, seedFrom(type, run(full, before), full));
    const live = run(seeded, [...before, ...after]);
    expect(valueAt(seeded, mergeStates(seed, live), NOW)).toEqual(valueAt(full, run(full, [...before, ...after]), NOW));
  });

  it('a seed never ages out of a within window; live values do', () => {
    const def = defOf('count', within(1));
    const seed = seedState('Logins', def, { value: 5 });
    const live = run(def, events([NOW - HOUR, null], [NOW - 2 * HOUR, null]));
    expect(valueAt(def, mergeStates(seed, live), NOW)).toBe('7');
    expect(valueAt(def, mergeStates(seed, live), NOW + 10 * DAY)).toBe('5');
  });

  it('seeded first values stay first, seeded last values give way to live ones', () => {
    const first = defOf('first_occurrence');
    const last = defOf('last_occurrence');
    const live = events([CUTOFF_MS, 'live']);
    expect(valueAt(first, mergeStates(seedState('F', first, { value: 'seeded' }), run(first, live)), NOW)).toBe('seeded');
    expect(valueAt(last, mergeStates(seedState('L', last, { value: 'seeded' }), run(last, live)), NOW)).toBe('live');
  });
});

import { describe, expect, it } from 'vitest';
import type { Batch } from '../model/batch.ts';
import type { Definition } from './definition.ts';
import {
  type AttributeState,
  mergeStates,
  newState,
  nextChangeMs,
  observe,
  observeInto,
  prune,
  rangeOf,
  valueAt,
} from './windows.ts';
import { batchOf, customEvent, DAY, definitionOf, HOUR, NOW, productAction, within } from './test-batches.ts';

/** The state after every event of the batches, in order. */
function run(def: Definition, batches: readonly Batch[], from = newState(def)): AttributeState {
  let state = from;
  for (const batch of batches) for (const event of batch.events) state = observe(def, state, event, batch, NOW);
  return state;
}

const plays = (...times: number[]): Batch[] => times.map((t, i) => batchOf([customEvent('Play', { title: `t${i}`, n: i }, t)]));

describe('since', () => {
  const def = definitionOf('count', {}, { time_period: { type: 'since', date: '2026-01-05T00:00:00' } });

  it('counts events on or after the date, for good', () => {
    const state = run(def, plays(Date.UTC(2026, 0, 4, 23, 59), Date.UTC(2026, 0, 5), Date.UTC(2026, 0, 9)));
    expect(valueAt(def, state, NOW)).toBe('2');
    expect(valueAt(def, state, NOW + 1000 * DAY)).toBe('2');
    expect(state.buckets).toEqual([]);
    expect(nextChangeMs(def, state, NOW)).toBeUndefined();
  });

  it('leaves events before the seeding cutoff to the seeds', () => {
    const seeded = definitionOf('count', {}, { seeding: { cutoff_date: '2026-01-07' }, time_period: { type: 'since', date: '2026-01-01' } });
    expect(valueAt(seeded, run(seeded, plays(Date.UTC(2026, 0, 6), Date.UTC(2026, 0, 7), Date.UTC(2026, 0, 8))), NOW)).toBe('2');
    expect(rangeOf(seeded).fromMs).toBe(Date.UTC(2026, 0, 7));
  });

  it('returns the same state when an event does not count', () => {
    const state = run(def, plays(Date.UTC(2026, 0, 6)));
    expect(observe(def, state, customEvent('Pause', {}, NOW), batchOf([]), NOW)).toBe(state);
    expect(observe(def, state, customEvent('Play', {}, Date.UTC(2025, 0, 1)), batchOf([]), NOW)).toBe(state);
  });

  it('returns the same state when an event counts but changes nothing (since and within)', () => {
    for (const rest of [{}, within(2)]) {
      const min = definitionOf('min', { attribute_name: 'n' }, rest);
      const state = run(min, [batchOf([customEvent('Play', { n: 1 }, NOW - HOUR)])]);
      expect(observe(min, state, customEvent('Play', { n: 5 }, NOW - HOUR), batchOf([]), NOW)).toBe(state);
      expect(observe(min, state, customEvent('Play', { n: 0 }, NOW - HOUR), batchOf([]), NOW)).not.toBe(state);
    }
  });
});

describe('within', () => {
  it('keeps hour buckets up to 7 days, day buckets above', () => {
    expect(rangeOf(definitionOf('count', {}, within(1))).bucketMs).toBe(HOUR);
    expect(rangeOf(definitionOf('count', {}, within(1, 'weeks'))).bucketMs).toBe(HOUR);
    expect(rangeOf(definitionOf('count', {}, within(8))).bucketMs).toBe(DAY);
    expect(rangeOf(definitionOf('count', {}, within(2, 'weeks'))).windowMs).toBe(14 * DAY);
  });

  it('changes with nowMs alone as events age out (one day: hour buckets)', () => {
    const def = definitionOf('count', {}, within(1));
    const t1 = NOW - 23 * HOUR - 30 * 60_000; // 23h30 ago
    const t2 = NOW - 2 * HOUR;
    const state = run(def, plays(t1, t2));
    expect(valueAt(def, state, NOW)).toBe('2');
    // t1's bucket starts at NOW - 24h and ends at NOW - 23h: it counts until NOW + 1h.
    expect(valueAt(def, state, NOW + HOUR - 1)).toBe('2');
    expect(valueAt(def, state, NOW + HOUR)).toBe('1');
    expect(nextChangeMs(def, state, NOW)).toBe(NOW + HOUR);
    expect(nextChangeMs(def, state, NOW + HOUR)).toBe(t2 - (t2 % HOUR) + HOUR + DAY);
    expect(valueAt(def, state, NOW + 2 * DAY)).toBe('0');
    expect(nextChangeMs(def, state, NOW + 2 * DAY)).toBeUndefined();
  });

  it('expires an event between N days and N days plus a bucket after it happened', () => {
    for (const [days, bucket] of [[1, HOUR], [7, HOUR], [10, DAY]] as const) {
      const def = definitionOf('unique_list', { attribute_name: 'title' }, within(days));
      const at = NOW - 17 * 60_000 - 5 * HOUR;
      const state = run(def, plays(at));
      expect(valueAt(def, state, at + days * DAY)).toEqual(['t0']);
      expect(valueAt(def, state, at + days * DAY + bucket)).toBeUndefined();
    }
  });

  it('goes back to zero or nothing once the window has passed', () => {
    const sum = definitionOf('sum', { attribute_name: 'n' }, within(3));
    const last = definitionOf('last_occurrence', { attribute_name: 'title' }, within(3));
    const batches = plays(NOW - 5 * DAY, NOW - 2 * DAY, NOW - DAY);
    expect(valueAt(sum, run(sum, batches), NOW)).toBe('3');
    expect(valueAt(sum, run(sum, batches), NOW + 3 * DAY)).toBe('0');
    expect(valueAt(last, run(last, batches), NOW)).toBe('t2');
    expect(valueAt(last, run(last, batches), NOW + 2 * DAY + 1)).toBe('t2');
    expect(valueAt(last, run(last, batches), NOW + 10 * DAY)).toBeUndefined();
  });

  it('prunes the buckets that left the window', () => {
    const def = definitionOf('count', {}, within(2));
    const state = run(def, plays(NOW - 3 * DAY, NOW - 3 * DAY + 1, NOW - DAY, NOW - HOUR));
    expect(state.buckets.map(([start]) => start)).toEqual([NOW - 3 * DAY, NOW - DAY, NOW - HOUR]);
    const pruned = prune(def, state, NOW);
    expect(pruned.buckets.map(([start]) => start)).toEqual([NOW - DAY, NOW - HOUR]);
    expect(valueAt(def, pruned, NOW)).toBe(valueAt(def, state, NOW));
    expect(prune(def, pruned, NOW)).toBe(pruned);
  });
});

describe('mergeStates', () => {
  const defs = [
    definitionOf('sum', { attribute_name: 'n' }, within(3)),
    definitionOf('unique_list', { attribute_name: 'title' }),
    definitionOf('first_occurrence', { attribute_name: 'title' }, within(2, 'weeks')),
    definitionOf('most_frequent', { event_type: 'commerce_event', attribute_name: 'brand', attribute_category: 'product_attribute', use_product_quantity: true }, within(30)),
  ];
  const brands = ['Acme', 'Bolt', 'Core'];
  const batches: Batch[] = Array.from({ length: 40 }, (_, i) => {
    const at = NOW - (i * 7 % 40) * 11 * HOUR;
    return batchOf([
      customEvent('Play', { title: `t${i % 9}`, n: String(i / 4) }, at),
      productAction('purchase', [{ brand: brands[i % 3] ?? 'Acme', quantity: (i % 4) + 1 }, { brand: 'Core' }], { atMs: at }),
    ]);
  });

  it('history ⊕ live equals computing over all events, grouped either way', () => {
    for (const def of defs) {
      const whole = run(def, batches);
      const [history, live, late] = [run(def, batches.slice(0, 15)), run(def, batches.slice(15, 30)), run(def, batches.slice(30))];
      const left = mergeStates(mergeStates(history, live), late);
      const right = mergeStates(history, mergeStates(live, late));
      for (const now of [NOW, NOW + 2 * DAY, NOW + 20 * DAY]) {
        expect(valueAt(def, left, now), def.calculation_type).toEqual(valueAt(def, whole, now));
        expect(valueAt(def, right, now), def.calculation_type).toEqual(valueAt(def, whole, now));
      }
      expect(left).toEqual(right);
      expect(JSON.parse(JSON.stringify(left))).toEqual(left);
    }
  });

  it('refuses states of different calculations', () => {
    const sum = definitionOf('sum', { attribute_name: 'n' });
    const count = definitionOf('count');
    expect(() => mergeStates(newState(sum), newState(count))).toThrow('Cannot merge a sum state with a count state');
    expect(() => valueAt(count, newState(sum), NOW)).toThrow('A sum state cannot serve a count definition');
  });
});

describe('observeInto', () => {
  it('changes a state in place to what observe returns, while observe leaves its input as it was', () => {
    const def = definitionOf('sum', { attribute_name: 'n' }, within(2));
    const times = [NOW - 30 * HOUR, NOW - 3 * HOUR, NOW - 30 * HOUR, NOW - 1000, NOW - 40 * HOUR];
    const owned = newState(def);
    let copied = newState(def);
    for (const batch of plays(...times)) {
      for (const event of batch.events) {
        const before = copied;
        const snapshot = JSON.stringify(before);
        copied = observe(def, before, event, batch, NOW);
        expect(JSON.stringify(before)).toBe(snapshot);
        expect(observeInto(def, owned, event, batch, NOW)).toBe(copied !== before);
        expect(owned).toEqual(copied);
      }
    }
    expect(valueAt(def, owned, NOW)).toBe('10');
    expect(owned.buckets).toHaveLength(4);
  });
});

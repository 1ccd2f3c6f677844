import { describe, expect, it } from 'vitest';
import { CALCULATIONS, type CalcState, calculationOf, UNIQUE_VALUES_COUNT_LIMIT, VALUE_LIMIT } from './calculations.ts';
import { CALCULATION_TYPES, type CalculationType } from './definition.ts';
import type { Observation } from './observations.ts';
import type { Scalar } from './values.ts';

const T = Date.UTC(2025, 5, 1);

/** One event's observation: its time and values (a [value, weight] pair for a weighted value). */
function obs(atMs: number, ...values: (Scalar | [Scalar, number])[]): Observation {
  return {
    atMs,
    stampMs: atMs,
    values: values.map((v) => (Array.isArray(v) ? { value: v[0], weight: v[1] } : { value: v, weight: 1 })),
  };
}

function fold(type: CalculationType, observations: readonly Observation[], from?: CalcState): CalcState {
  const calc = calculationOf(type);
  return observations.reduce((s, o) => calc.add(s, o), from ?? calc.empty());
}

const valueOf = (type: CalculationType, observations: readonly Observation[]) => calculationOf(type).value(fold(type, observations));

/** A small deterministic generator (a linear congruential one). */
function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

function sample(seed: number, n: number, distinct: number): Observation[] {
  const r = random(seed);
  return Array.from({ length: n }, () => {
    const k = Math.floor(r() * 3);
    const values = Array.from({ length: k }, () => {
      const v = Math.floor(r() * distinct);
      return r() < 0.3 ? `${v / 10}` : r() < 0.5 ? v / 4 : r() < 0.9 ? `v${v}` : 'not a number';
    });
    return obs(T + Math.floor(r() * 50) * 1000, ...values);
  });
}

const SEQUENCE = [
  obs(T + 3000, '34.32', 'x'),
  obs(T + 1000, 10),
  obs(T + 2000),
  obs(T + 1000, '0.1', '-2.5'),
  obs(T + 5000, 'drama', true),
];

describe('every calculation over one sequence of events', () => {
  it.each<[CalculationType, unknown, unknown]>([
    ['count', '5', '0'],
    ['sum', '41.92', '0'],
    ['min', '-2.5', undefined],
    ['max', '34.32', undefined],
    ['average', '10.48', undefined],
    ['most_frequent', '-2.5', undefined],
    ['unique_values_count', '7', '0'],
    ['first_occurrence', '10', undefined],
    ['last_occurrence', 'true', undefined],
    ['first_occurrence_timestamp', '2025-06-01T00:00:01.000Z', undefined],
    ['last_occurrence_timestamp', '2025-06-01T00:00:05.000Z', undefined],
    ['unique_list', ['-2.5', '0.1', '10', '34.32', 'drama', 'true', 'x'], undefined],
  ])('%s is %j (%j when nothing qualified)', (type, expected, empty) => {
    expect(valueOf(type, SEQUENCE)).toEqual(expected);
    expect(calculationOf(type).value(calculationOf(type).empty())).toEqual(empty);
  });

  it('covers every calculation type', () => {
    expect(Object.keys(CALCULATIONS).sort()).toEqual([...CALCULATION_TYPES].sort());
  });
});

describe('numbers', () => {
  it('convert numeric strings and ignore what is not a number', () => {
    expect(valueOf('sum', [obs(T, '34.32', ' 1e2 ', 'abc', true, '0x10')])).toBe('134.32');
    expect(valueOf('average', [obs(T, 'abc')])).toBeUndefined();
    expect(valueOf('min', [obs(T, 'abc', '007')])).toBe('7');
  });

  it('sum without visible drift: 0.1 + 0.2 shows 0.3, in plain notation', () => {
    expect(valueOf('sum', [obs(T, 0.1), obs(T, 0.2)])).toBe('0.3');
    expect(valueOf('sum', Array.from({ length: 10 }, () => obs(T, 0.1)))).toBe('1');
    expect(valueOf('sum', [obs(T, 1e21), obs(T, '-0.000001')])).toBe('999999999999999999999.999999');
    expect(valueOf('sum', [obs(T, '9007199254740993'), obs(T, 1)])).toBe('9007199254740994');
  });

  it('average rounds to 15 significant digits', () => {
    expect(valueOf('average', [obs(T, 1, 1, 1.5)])).toBe('1.16666666666667');
    expect(valueOf('average', [obs(T, 0.1, 0.2)])).toBe('0.15');
  });

  it('average weighs values (price by quantity); sum, min and max do not', () => {
    const weighted = [obs(T, [5, 3], ['60.5', 1])];
    expect(valueOf('average', weighted)).toBe('18.875');
    expect(valueOf('sum', weighted)).toBe('65.5');
    expect(valueOf('max', weighted)).toBe('60.5');
  });
});

describe('most frequent', () => {
  it('counts by weight (quantity) and breaks ties alphabetically', () => {
    expect(valueOf('most_frequent', [obs(T, 'Bolt', 'acme'), obs(T, 'Bolt')])).toBe('Bolt');
    expect(valueOf('most_frequent', [obs(T, 'bolt', 'Bolt')])).toBe('Bolt'); // distinct values, tied
    expect(valueOf('most_frequent', [obs(T, 'zeta', 'Alpha', 'beta')])).toBe('Alpha');
    expect(valueOf('most_frequent', [obs(T, ['Acme', 1], ['Bolt', 3]), obs(T, 'Acme')])).toBe('Bolt');
  });

  it('adds no value after 100, while the first 100 keep counting', () => {
    const first = Array.from({ length: VALUE_LIMIT }, (_, i) => obs(T, `v${String(i).padStart(3, '0')}`));
    const late = [obs(T, 'zz-new'), obs(T, 'zz-new'), obs(T, 'zz-new'), obs(T, 'v099'), obs(T, 'v099')];
    const state = fold('most_frequent', [...first, ...late]);
    expect(CALCULATIONS.most_frequent.value(state as never)).toBe('v099');
    expect((state as { counts: unknown[] }).counts).toHaveLength(VALUE_LIMIT);
    // Merging is exact when the later state is under the limit, whatever the earlier holds.
    const calc = calculationOf('most_frequent');
    expect(calc.merge(fold('most_frequent', first), fold('most_frequent', late))).toEqual(state);
  });
});

describe('unique list and unique values count', () => {
  it('keeps the first 100 values by event time, then arrival, shown alphabetically', () => {
    const late = Array.from({ length: VALUE_LIMIT }, (_, i) => obs(T + 1000 + i, `late${i}`));
    const early = obs(T, 'Early', 'early');
    const list = valueOf('unique_list', [...late, early]) as string[];
    expect(list).toHaveLength(VALUE_LIMIT);
    expect(list.slice(0, 2)).toEqual(['Early', 'early']);
    expect(list).not.toContain('late98');
    expect(list).toContain('late97');
    // Same time: the first to arrive wins the last place.
    const tie = Array.from({ length: VALUE_LIMIT + 1 }, (_, i) => obs(T, `same${i}`));
    expect(valueOf('unique_list', tie)).not.toContain('same100');
  });

  it('counts distinct values (case-sensitive, numbers as text) up to 10,000', () => {
    expect(valueOf('unique_values_count', [obs(T, 'a', 'A', 5, '5', 'a')])).toBe('3');
    const many = Array.from({ length: UNIQUE_VALUES_COUNT_LIMIT + 50 }, (_, i) => `u${i}`);
    expect(valueOf('unique_values_count', [obs(T, ...many)])).toBe('10000');
  });
});

describe('first and last', () => {
  it('go by event time, ties by arrival; within an event the first or last product', () => {
    const events = [obs(T + 10, 'b1', 'b2'), obs(T, 'a1', 'a2'), obs(T, 'a3'), obs(T + 10, 'c1', 'c2')];
    expect(valueOf('first_occurrence', events)).toBe('a1');
    expect(valueOf('last_occurrence', events)).toBe('c2');
    expect(valueOf('first_occurrence', [obs(T), obs(T + 1, 'x')])).toBe('x');
  });

  it('timestamps are ISO 8601 UTC, of qualifying events even without values', () => {
    expect(valueOf('first_occurrence_timestamp', [obs(T + 5), obs(T + 1)])).toBe('2025-06-01T00:00:00.001Z');
    expect(valueOf('last_occurrence_timestamp', [obs(T + 5), obs(T + 1)])).toBe('2025-06-01T00:00:00.005Z');
  });
});

describe('states', () => {
  it('merge associatively: history ⊕ live ⊕ seed equals all events in order', () => {
    for (const type of CALCULATION_TYPES) {
      for (const seed of [1, 2, 3]) {
        // A unique list beyond its limit: selecting the earliest 100 values stays exact.
        const all = type === 'unique_list' ? sample(seed, 400, 1000) : sample(seed, 90, 40);
        const [a, b, c] = [all.slice(0, 20), all.slice(20, 55), all.slice(55)];
        const calc = calculationOf(type);
        const whole = fold(type, all);
        if (type === 'unique_list') expect((whole as { values: unknown[] }).values).toHaveLength(VALUE_LIMIT);
        const left = calc.merge(calc.merge(fold(type, a), fold(type, b)), fold(type, c));
        const right = calc.merge(fold(type, a), calc.merge(fold(type, b), fold(type, c)));
        expect(calc.value(left), `${type} ${seed}`).toEqual(calc.value(whole));
        expect(calc.value(right), `${type} ${seed}`).toEqual(calc.value(whole));
        expect(right, `${type} ${seed}`).toEqual(left);
        expect(calc.merge(calc.empty(), whole)).toEqual(whole);
        expect(calc.merge(whole, calc.empty())).toEqual(whole);
      }
    }
  });

  it('are JSON and never mutated', () => {
    for (const type of CALCULATION_TYPES) {
      const state = fold(type, SEQUENCE);
      expect(JSON.parse(JSON.stringify(state))).toEqual(state);
      const frozen = JSON.parse(JSON.stringify(state)) as CalcState;
      deepFreeze(frozen);
      const calc = calculationOf(type);
      expect(() => calc.merge(frozen, calc.add(frozen, obs(T - 1, 'new', 1)))).not.toThrow();
      expect(frozen).toEqual(state);
    }
  });

  it('addInPlace changes the state as add computes it, and says whether it changed', () => {
    for (const type of CALCULATION_TYPES) {
      for (const seed of [4, 5]) {
        const calc = calculationOf(type);
        let pure = calc.empty();
        const inPlace = calc.empty();
        for (const o of type === 'unique_list' ? sample(seed, 300, 1000) : sample(seed, 90, 40)) {
          const next = calc.add(pure, o);
          expect(calc.addInPlace(inPlace, o), `${type} ${seed}`).toBe(next !== pure);
          pure = next;
          expect(inPlace, `${type} ${seed}`).toEqual(pure);
        }
      }
    }
  });

  it('add returns the state itself when an event changes nothing', () => {
    const state = fold('min', [obs(T, 1)]);
    expect(calculationOf('min').add(state, obs(T, 5))).toBe(state);
    const list = fold('unique_values_count', [obs(T, 'a')]);
    expect(calculationOf('unique_values_count').add(list, obs(T, 'a'))).toBe(list);
  });
});

function deepFreeze(value: unknown): void {
  if (value !== null && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
}

import { formatTimestamp } from './dates.ts';
import {
  addDecimal,
  compareDecimal,
  decimalToNumber,
  type Decimal,
  formatDecimal,
  formatRounded,
  multiplyDecimal,
  parseDecimal,
  toDecimal,
  ZERO,
} from './decimal.ts';
import type { CalculationType } from './definition.ts';
import type { Observation } from './observations.ts';
import { compareAlphabetical, toText } from './values.ts';

/**
 * The twelve calculations of mParticle's Calculated Attributes Reference, each as a compact,
 * JSON-serialisable state with four pure functions: `empty()`, `add(state, observation)`,
 * `merge(a, b)` and `value(state)`. States are never mutated: `add` and `merge` return new
 * states (or their input, unchanged, when nothing changes).
 *
 * `merge(a, b)` reads `a` as the earlier state (its events arrived first) and is associative:
 * states from history, from live events and from seeds combine in any grouping, and equal the
 * state of adding all their events in order (for the 100-value limits, see each calculation).
 *
 * Weights (a product's quantity under `use_product_quantity`) count for `average` and
 * `most_frequent` only, as the Platform API says ("the product quantity should be used when
 * calculating Average or Most Frequent"); a sum of prices is not multiplied by quantities.
 *
 * Values are as mParticle shows them: strings (numbers in plain decimal notation, see
 * `decimal.ts`), timestamps in ISO 8601 UTC, a unique list as an alphabetical array of strings.
 * `count`, `sum` and `unique_values_count` are "0" on an empty state; the others are undefined
 * until something qualifies (mParticle shows '-').
 */

/** mParticle's limit on the values of a most frequent value and a unique list. */
export const VALUE_LIMIT = 100;
/** Quanta's limit on a unique values count (mParticle documents none): it stops at 10,000. */
export const UNIQUE_VALUES_COUNT_LIMIT = 10_000;

export interface CountState { readonly n: number }
/** Decimals as text (`formatDecimal`), exact. */
export interface SumState { readonly sum: string }
export interface ExtremeState { readonly v: string | null }
/** Sum of value × weight and sum of weights, exact decimals as text. */
export interface AverageState { readonly sum: string; readonly weight: string }
/** Weighted counts of at most {@link VALUE_LIMIT} values, in the order they were first seen. */
export interface MostFrequentState { readonly counts: readonly (readonly [string, number])[] }
/** The distinct values, sorted by UTF-16 code units, at most {@link UNIQUE_VALUES_COUNT_LIMIT}. */
export interface UniqueCountState { readonly values: readonly string[] }
/** At most {@link VALUE_LIMIT} values and when each was first seen, by that time then arrival. */
export interface UniqueListState { readonly values: readonly (readonly [string, number])[] }
export interface OccurrenceState { readonly seen: { readonly value: string; readonly atMs: number } | null }
export interface TimestampState { readonly ms: number | null }

/** Each calculation's state. */
export interface StateOf {
  count: CountState;
  sum: SumState;
  min: ExtremeState;
  max: ExtremeState;
  average: AverageState;
  most_frequent: MostFrequentState;
  unique_values_count: UniqueCountState;
  first_occurrence: OccurrenceState;
  last_occurrence: OccurrenceState;
  first_occurrence_timestamp: TimestampState;
  last_occurrence_timestamp: TimestampState;
  unique_list: UniqueListState;
}
export type CalcState = StateOf[CalculationType];

/** A calculated attribute's value: a string, or (unique list) an alphabetical list of strings. */
export type CalculatedValue = string | readonly string[];

/** What an event store counts of a data point's events without reading them: how many, the first and the last event time. */
export interface Tally {
  readonly events: number;
  readonly firstMs: number;
  readonly lastMs: number;
}

export interface Calculation<S> {
  empty(): S;
  add(state: S, observation: Observation): S;
  merge(a: S, b: S): S;
  value(state: S): CalculatedValue | undefined;
  /**
   * The state of events known only by their {@link Tally}: only the calculations that look at
   * events, not at values (count and the timestamps), have it. Equal to adding the events one by
   * one when each event's `stampMs` is its event time, as it is for events read from history.
   */
  fromTally?(tally: Tally): S;
}

const sumOf = (s: { sum: string }): Decimal => parseDecimal(s.sum);

/** Numbers (and numeric strings) of an observation; values that are not numbers are ignored. */
function numbers(o: Observation): { d: Decimal; weight: number }[] {
  const out: { d: Decimal; weight: number }[] = [];
  for (const v of o.values) {
    const d = toDecimal(v.value);
    if (d !== undefined) out.push({ d, weight: v.weight });
  }
  return out;
}

const count: Calculation<CountState> = {
  empty: () => ({ n: 0 }),
  add: (s) => ({ n: s.n + 1 }),
  merge: (a, b) => (b.n === 0 ? a : { n: a.n + b.n }),
  value: (s) => String(s.n),
  fromTally: (t) => ({ n: t.events }),
};

const sum: Calculation<SumState> = {
  empty: () => ({ sum: '0' }),
  add: (s, o) => {
    const ns = numbers(o);
    return ns.length === 0 ? s : { sum: formatDecimal(ns.reduce((acc, n) => addDecimal(acc, n.d), sumOf(s))) };
  },
  merge: (a, b) => ({ sum: formatDecimal(addDecimal(sumOf(a), sumOf(b))) }),
  value: (s) => s.sum,
};

/** min (sign 1) or max (sign -1): keeps the earlier of equal values. */
function extreme(sign: 1 | -1): Calculation<ExtremeState> {
  const better = (x: Decimal, current: string | null): boolean =>
    current === null || sign * compareDecimal(x, parseDecimal(current)) < 0;
  return {
    empty: () => ({ v: null }),
    add: (s, o) => {
      let v = s.v;
      for (const n of numbers(o)) if (better(n.d, v)) v = formatDecimal(n.d);
      return v === s.v ? s : { v };
    },
    merge: (a, b) => (b.v !== null && better(parseDecimal(b.v), a.v) ? b : a),
    value: (s) => s.v ?? undefined,
  };
}

const average: Calculation<AverageState> = {
  empty: () => ({ sum: '0', weight: '0' }),
  add: (s, o) => {
    const ns = numbers(o);
    if (ns.length === 0) return s;
    let total = sumOf(s);
    let weight = parseDecimal(s.weight);
    for (const n of ns) {
      const w = toDecimal(n.weight) ?? ZERO;
      total = addDecimal(total, multiplyDecimal(n.d, w));
      weight = addDecimal(weight, w);
    }
    return { sum: formatDecimal(total), weight: formatDecimal(weight) };
  },
  merge: (a, b) => ({
    sum: formatDecimal(addDecimal(sumOf(a), sumOf(b))),
    weight: formatDecimal(addDecimal(parseDecimal(a.weight), parseDecimal(b.weight))),
  }),
  value: (s) => {
    const weight = decimalToNumber(parseDecimal(s.weight));
    return weight > 0 ? formatRounded(decimalToNumber(sumOf(s)) / weight) : undefined;
  },
};

/**
 * Most frequent: weighted counts (a product's quantity under `use_product_quantity`). Once
 * {@link VALUE_LIMIT} distinct values are held no new value is added; those held keep counting.
 * Ties go to the alphabetically first value. Merging is exact while the later state holds
 * fewer than the limit; a later state that reached it may have dropped a value the earlier one
 * holds, whose occurrences there are then lost (the limit's own approximation).
 */
const mostFrequent: Calculation<MostFrequentState> = {
  empty: () => ({ counts: [] }),
  add: (s, o) => (o.values.length === 0 ? s : countInto(s, o.values.map((v) => [toText(v.value), v.weight] as const))),
  merge: (a, b) => (b.counts.length === 0 ? a : countInto(a, b.counts)),
  value: (s) => {
    let best: readonly [string, number] | undefined;
    for (const entry of s.counts) {
      if (!best || entry[1] > best[1] || (entry[1] === best[1] && compareAlphabetical(entry[0], best[0]) < 0)) best = entry;
    }
    return best?.[0];
  },
};

function countInto(s: MostFrequentState, add: readonly (readonly [string, number])[]): MostFrequentState {
  const counts = new Map(s.counts);
  for (const [value, weight] of add) {
    const held = counts.get(value);
    if (held !== undefined) counts.set(value, held + weight);
    else if (counts.size < VALUE_LIMIT) counts.set(value, weight);
  }
  return { counts: [...counts] };
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Distinct values, counted up to {@link UNIQUE_VALUES_COUNT_LIMIT} (the smallest are kept: any would do). */
const uniqueValuesCount: Calculation<UniqueCountState> = {
  empty: () => ({ values: [] }),
  add: (s, o) => unite(s, o.values.map((v) => toText(v.value))),
  merge: (a, b) => unite(a, b.values),
  value: (s) => String(s.values.length),
};

function unite(s: UniqueCountState, add: readonly string[]): UniqueCountState {
  const set = new Set(s.values);
  for (const v of add) set.add(v);
  if (set.size === s.values.length) return s;
  return { values: [...set].sort(byCodeUnit).slice(0, UNIQUE_VALUES_COUNT_LIMIT) };
}

/**
 * Unique list: the first {@link VALUE_LIMIT} distinct values seen, by event time then arrival
 * (mParticle: "keeps only the first 100 seen values"); shown alphabetically. Selecting the
 * earliest values is exactly associative, limit included.
 */
const uniqueList: Calculation<UniqueListState> = {
  empty: () => ({ values: [] }),
  add: (s, o) => (o.values.length === 0 ? s : firstSeen(s, o.values.map((v) => [toText(v.value), o.atMs] as const))),
  merge: (a, b) => (b.values.length === 0 ? a : firstSeen(a, b.values)),
  value: (s) => (s.values.length === 0 ? undefined : s.values.map((e) => e[0]).sort(compareAlphabetical)),
};

function firstSeen(s: UniqueListState, add: readonly (readonly [string, number])[]): UniqueListState {
  const list = [...s.values];
  for (const [value, at] of add) {
    const i = list.findIndex((e) => e[0] === value);
    if (i >= 0) {
      if ((list[i]?.[1] ?? at) <= at) continue;
      list.splice(i, 1);
    }
    let pos = list.length;
    while (pos > 0 && (list[pos - 1]?.[1] ?? at) > at) pos -= 1;
    if (pos >= VALUE_LIMIT) continue;
    list.splice(pos, 0, [value, at]);
    if (list.length > VALUE_LIMIT) list.pop();
  }
  return { values: list };
}

/**
 * First (last) value: of the earliest (latest) qualifying event, ties going to the first (last)
 * to arrive; within an event, its first (last) product or promotion.
 */
function occurrence(first: boolean): Calculation<OccurrenceState> {
  const wins = (at: number, held: OccurrenceState['seen']): boolean => !held || (first ? at < held.atMs : at >= held.atMs);
  return {
    empty: () => ({ seen: null }),
    add: (s, o) => {
      const v = first ? o.values[0] : o.values[o.values.length - 1];
      return v === undefined || !wins(o.atMs, s.seen) ? s : { seen: { value: toText(v.value), atMs: o.atMs } };
    },
    merge: (a, b) => (b.seen && wins(b.seen.atMs, a.seen) ? b : a),
    value: (s) => s.seen?.value,
  };
}

/** First (last) timestamp: the earliest (latest) `stampMs` of a qualifying event. */
function timestamp(first: boolean): Calculation<TimestampState> {
  const pick = (a: number | null, b: number | null): number | null =>
    a === null ? b : b === null ? a : first ? Math.min(a, b) : Math.max(a, b);
  return {
    empty: () => ({ ms: null }),
    add: (s, o) => {
      const ms = pick(s.ms, o.stampMs);
      return ms === s.ms ? s : { ms };
    },
    merge: (a, b) => {
      const ms = pick(a.ms, b.ms);
      return ms === a.ms ? a : { ms };
    },
    value: (s) => (s.ms === null ? undefined : formatTimestamp(s.ms)),
    fromTally: (t) => ({ ms: first ? t.firstMs : t.lastMs }),
  };
}

/** Every calculation by type. */
export const CALCULATIONS: { readonly [C in CalculationType]: Calculation<StateOf[C]> } = {
  count,
  sum,
  min: extreme(1),
  max: extreme(-1),
  average,
  most_frequent: mostFrequent,
  unique_values_count: uniqueValuesCount,
  first_occurrence: occurrence(true),
  last_occurrence: occurrence(false),
  first_occurrence_timestamp: timestamp(true),
  last_occurrence_timestamp: timestamp(false),
  unique_list: uniqueList,
};

/** A calculation with its state type erased, for code that holds a definition's type as data. */
export function calculationOf(type: CalculationType): Calculation<CalcState> {
  return CALCULATIONS[type] as Calculation<CalcState>;
}

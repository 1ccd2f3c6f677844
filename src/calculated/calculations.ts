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
 * `merge(a, b)` and `value(state)`, which never change a state (`add` and `merge` return new
 * states, or their input when nothing changes), and `addInPlace`, which changes a state only its
 * caller holds: a live state changes at nearly every event, and replacing it each time made most
 * of the processor's garbage (a state outlives the young generation, so each replaced one is
 * old-generation garbage). `add` is `addInPlace` on a copy.
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
  /** `add`, changing `state` itself (no one else may hold it); whether it changed. */
  addInPlace(state: S, observation: Observation): boolean;
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

/** A state as `addInPlace` changes it. */
type Mutable<S> = { -readonly [K in keyof S]: S[K] };

/** A calculation whose `add` is its `addInPlace` on a copy of the state. */
function calculation<S>(c: Omit<Calculation<S>, 'add'>): Calculation<S> {
  return {
    ...c,
    add: (state, o) => {
      const copy = structuredClone(state);
      return c.addInPlace(copy, o) ? copy : state;
    },
  };
}

/** Numbers (and numeric strings) of an observation; values that are not numbers are ignored. */
function numbers(o: Observation): { d: Decimal; weight: number }[] {
  const out: { d: Decimal; weight: number }[] = [];
  for (const v of o.values) {
    const d = toDecimal(v.value);
    if (d !== undefined) out.push({ d, weight: v.weight });
  }
  return out;
}

const count = calculation<CountState>({
  empty: () => ({ n: 0 }),
  addInPlace: (s: Mutable<CountState>) => {
    s.n += 1;
    return true;
  },
  merge: (a, b) => (b.n === 0 ? a : { n: a.n + b.n }),
  value: (s) => String(s.n),
  fromTally: (t) => ({ n: t.events }),
});

const sum = calculation<SumState>({
  empty: () => ({ sum: '0' }),
  addInPlace: (s: Mutable<SumState>, o) => {
    const ns = numbers(o);
    if (ns.length === 0) return false;
    s.sum = formatDecimal(ns.reduce((acc, n) => addDecimal(acc, n.d), sumOf(s)));
    return true;
  },
  merge: (a, b) => ({ sum: formatDecimal(addDecimal(sumOf(a), sumOf(b))) }),
  value: (s) => s.sum,
});

/** min (sign 1) or max (sign -1): keeps the earlier of equal values. */
function extreme(sign: 1 | -1): Calculation<ExtremeState> {
  const better = (x: Decimal, current: string | null): boolean =>
    current === null || sign * compareDecimal(x, parseDecimal(current)) < 0;
  return calculation<ExtremeState>({
    empty: () => ({ v: null }),
    addInPlace: (s: Mutable<ExtremeState>, o) => {
      let v = s.v;
      for (const n of numbers(o)) if (better(n.d, v)) v = formatDecimal(n.d);
      if (v === s.v) return false;
      s.v = v;
      return true;
    },
    merge: (a, b) => (b.v !== null && better(parseDecimal(b.v), a.v) ? b : a),
    value: (s) => s.v ?? undefined,
  });
}

const average = calculation<AverageState>({
  empty: () => ({ sum: '0', weight: '0' }),
  addInPlace: (s: Mutable<AverageState>, o) => {
    const ns = numbers(o);
    if (ns.length === 0) return false;
    let total = sumOf(s);
    let weight = parseDecimal(s.weight);
    for (const n of ns) {
      const w = toDecimal(n.weight) ?? ZERO;
      total = addDecimal(total, multiplyDecimal(n.d, w));
      weight = addDecimal(weight, w);
    }
    s.sum = formatDecimal(total);
    s.weight = formatDecimal(weight);
    return true;
  },
  merge: (a, b) => ({
    sum: formatDecimal(addDecimal(sumOf(a), sumOf(b))),
    weight: formatDecimal(addDecimal(parseDecimal(a.weight), parseDecimal(b.weight))),
  }),
  value: (s) => {
    const weight = decimalToNumber(parseDecimal(s.weight));
    return weight > 0 ? formatRounded(decimalToNumber(sumOf(s)) / weight) : undefined;
  },
});

/**
 * Most frequent: weighted counts (a product's quantity under `use_product_quantity`). Once
 * {@link VALUE_LIMIT} distinct values are held no new value is added; those held keep counting.
 * Ties go to the alphabetically first value. Merging is exact while the later state holds
 * fewer than the limit; a later state that reached it may have dropped a value the earlier one
 * holds, whose occurrences there are then lost (the limit's own approximation).
 */
const mostFrequent = calculation<MostFrequentState>({
  empty: () => ({ counts: [] }),
  addInPlace: (s, o) => {
    let changed = false;
    for (const v of o.values) changed = countInto(s.counts as [string, number][], toText(v.value), v.weight) || changed;
    return changed;
  },
  merge: (a, b) => {
    if (b.counts.length === 0) return a;
    const counts = a.counts.map(([value, n]): [string, number] => [value, n]);
    for (const [value, n] of b.counts) countInto(counts, value, n);
    return { counts };
  },
  value: (s) => {
    let best: readonly [string, number] | undefined;
    for (const entry of s.counts) {
      if (!best || entry[1] > best[1] || (entry[1] === best[1] && compareAlphabetical(entry[0], best[0]) < 0)) best = entry;
    }
    return best?.[0];
  },
});

/** Counts a value into weighted counts, in place (a new value only below the limit); whether they changed. */
function countInto(counts: [string, number][], value: string, weight: number): boolean {
  // An array, not a Map: at most a hundred entries, scanned, where a Map would be built again at every event.
  const held = counts.find((e) => e[0] === value);
  if (held) held[1] += weight;
  else if (counts.length < VALUE_LIMIT) counts.push([value, weight]);
  else return false;
  return true;
}

/** Distinct values, counted up to {@link UNIQUE_VALUES_COUNT_LIMIT} (the smallest are kept: any would do). */
const uniqueValuesCount = calculation<UniqueCountState>({
  empty: () => ({ values: [] }),
  addInPlace: (s, o) => {
    let changed = false;
    for (const v of o.values) changed = unite(s.values as string[], toText(v.value)) || changed;
    return changed;
  },
  merge: (a, b) => {
    const values = a.values.slice();
    for (const v of b.values) unite(values, v);
    return { values };
  },
  value: (s) => String(s.values.length),
});

/** Adds a value to sorted distinct values, in place, keeping the smallest {@link UNIQUE_VALUES_COUNT_LIMIT}; whether they changed. */
function unite(values: string[], value: string): boolean {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  if (values[lo] === value || lo >= UNIQUE_VALUES_COUNT_LIMIT) return false;
  values.splice(lo, 0, value);
  if (values.length > UNIQUE_VALUES_COUNT_LIMIT) values.pop();
  return true;
}

/**
 * Unique list: the first {@link VALUE_LIMIT} distinct values seen, by event time then arrival
 * (mParticle: "keeps only the first 100 seen values"); shown alphabetically. Selecting the
 * earliest values is exactly associative, limit included.
 */
const uniqueList = calculation<UniqueListState>({
  empty: () => ({ values: [] }),
  addInPlace: (s, o) => {
    let changed = false;
    for (const v of o.values) changed = firstSeen(s.values as (readonly [string, number])[], toText(v.value), o.atMs) || changed;
    return changed;
  },
  merge: (a, b) => {
    if (b.values.length === 0) return a;
    const values = a.values.slice();
    for (const [value, at] of b.values) firstSeen(values, value, at);
    return { values };
  },
  value: (s) => (s.values.length === 0 ? undefined : s.values.map((e) => e[0]).sort(compareAlphabetical)),
});

/** Sees a value at `at`, in place: the list keeps the earliest {@link VALUE_LIMIT} values, by time then arrival; whether it changed. */
function firstSeen(list: (readonly [string, number])[], value: string, at: number): boolean {
  const i = list.findIndex((e) => e[0] === value);
  if (i >= 0) {
    if ((list[i]?.[1] ?? at) <= at) return false;
    list.splice(i, 1);
  }
  let pos = list.length;
  while (pos > 0 && (list[pos - 1]?.[1] ?? at) > at) pos -= 1;
  if (pos >= VALUE_LIMIT) return i >= 0;
  list.splice(pos, 0, [value, at]);
  if (list.length > VALUE_LIMIT) list.pop();
  return true;
}

/**
 * First (last) value: of the earliest (latest) qualifying event, ties going to the first (last)
 * to arrive; within an event, its first (last) product or promotion.
 */
function occurrence(first: boolean): Calculation<OccurrenceState> {
  const wins = (at: number, held: OccurrenceState['seen']): boolean => !held || (first ? at < held.atMs : at >= held.atMs);
  return calculation<OccurrenceState>({
    empty: () => ({ seen: null }),
    addInPlace: (s: Mutable<OccurrenceState>, o) => {
      const v = first ? o.values[0] : o.values[o.values.length - 1];
      if (v === undefined || !wins(o.atMs, s.seen)) return false;
      s.seen = { value: toText(v.value), atMs: o.atMs };
      return true;
    },
    merge: (a, b) => (b.seen && wins(b.seen.atMs, a.seen) ? b : a),
    value: (s) => s.seen?.value,
  });
}

/** First (last) timestamp: the earliest (latest) `stampMs` of a qualifying event. */
function timestamp(first: boolean): Calculation<TimestampState> {
  const pick = (a: number | null, b: number | null): number | null =>
    a === null ? b : b === null ? a : first ? Math.min(a, b) : Math.max(a, b);
  return calculation<TimestampState>({
    empty: () => ({ ms: null }),
    addInPlace: (s: Mutable<TimestampState>, o) => {
      const ms = pick(s.ms, o.stampMs);
      if (ms === s.ms) return false;
      s.ms = ms;
      return true;
    },
    merge: (a, b) => {
      const ms = pick(a.ms, b.ms);
      return ms === a.ms ? a : { ms };
    },
    value: (s) => (s.ms === null ? undefined : formatTimestamp(s.ms)),
    fromTally: (t) => ({ ms: first ? t.firstMs : t.lastMs }),
  });
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

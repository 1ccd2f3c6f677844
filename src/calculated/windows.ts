import type { BatchEvent } from '../model/batch.ts';
import { type CalcState, type CalculatedValue, calculationOf, type Tally } from './calculations.ts';
import { DAY_MS, HOUR_MS, parseIsoDate } from './dates.ts';
import type { CalculationType, Definition } from './definition.ts';
import { type BatchTime, type Observation, observeEvent } from './observations.ts';

/**
 * A calculated attribute's state for one user, whatever the definition's date range, so that
 * callers never branch on the time period: {@link newState}, {@link observe},
 * {@link mergeStates}, {@link prune}, {@link valueAt}.
 *
 * - `since` (and a seeding cutoff): a filter on event time. Events before the date (before the
 *   cutoff) are ignored; the others accumulate in one state.
 * - `within` N days or weeks: events are kept in time buckets (an hour each for windows up to
 *   7 days, a day each above), so the value at `nowMs` merges only the buckets still in the
 *   window, and changes as old events age out even if no event comes. A bucket counts while
 *   its last instant is in the window: an event leaves between N days and N days plus one
 *   bucket after it happened (mParticle: "the reset takes place within one day plus two hours"
 *   of a one-day window, "within 11 days" of a 10-day one).
 * - Seeds are the `base` state of a `within` definition: the Reference says seeded values do
 *   not decrement when they pass out of the window.
 *
 * The state is JSON: a store can keep it as is. It is not changed in place, except by
 * {@link observeInto}, on a state its caller alone holds.
 */
export interface AttributeState {
  readonly calculation_type: CalculationType;
  /** The state outside any bucket: every counted event under `since`; seeds. */
  readonly base: CalcState;
  /** `within` only: [bucket start in epoch ms, state], by start. */
  readonly buckets: readonly (readonly [number, CalcState])[];
}

/** A definition's date range, as {@link rangeOf} computes it. */
export interface DateRange {
  /** Events before this are not counted (since date, seeding cutoff); -Infinity for none. */
  readonly fromMs: number;
  /** The `within` window's length and bucket size; undefined for `since`. */
  readonly windowMs: number | undefined;
  readonly bucketMs: number | undefined;
}

/** Windows up to this long are kept in hour buckets; longer ones in day buckets. */
export const HOURLY_BUCKETS_UP_TO_MS = 7 * DAY_MS;

const ranges = new WeakMap<Definition, DateRange>();

/** The definition's date range, computed once per definition object. */
export function rangeOf(def: Definition): DateRange {
  let r = ranges.get(def);
  if (r) return r;
  const tp = def.time_period;
  const since = tp.type === 'since' ? (parseIsoDate(tp.date)?.ms ?? -Infinity) : -Infinity;
  const cutoff = def.seeding ? (parseIsoDate(def.seeding.cutoff_date)?.ms ?? -Infinity) : -Infinity;
  const windowMs = tp.type === 'within' ? tp.within * (tp.within_unit === 'weeks' ? 7 : 1) * DAY_MS : undefined;
  const bucketMs = windowMs === undefined ? undefined : windowMs <= HOURLY_BUCKETS_UP_TO_MS ? HOUR_MS : DAY_MS;
  r = { fromMs: Math.max(since, cutoff), windowMs, bucketMs };
  ranges.set(def, r);
  return r;
}

/** An empty state for a definition. */
export function newState(def: Definition): AttributeState {
  return { calculation_type: def.calculation_type, base: calculationOf(def.calculation_type).empty(), buckets: [] };
}

/**
 * The state after one event (the same state object if the event changes nothing). An event
 * before the since date or the seeding cutoff does not count. Call {@link prune} to drop what
 * has left a `within` window.
 */
export function observe(
  def: Definition,
  state: AttributeState,
  event: BatchEvent,
  batch: BatchTime,
  receivedAtMs: number,
): AttributeState {
  const o = observeEvent(def, event, batch, receivedAtMs);
  return o ? addObservation(def, state, o) : state;
}

/** The state after one observation (see {@link observe}). */
export function addObservation(def: Definition, state: AttributeState, o: Observation): AttributeState {
  // A deep copy: `addInto` changes calculation states in place.
  const copy = structuredClone(state);
  return addInto(def, copy, o) ? copy : state;
}

/**
 * {@link observe} for a state only its caller holds (the stage's live states, a state being read
 * from history): the state is changed in place, where `observe` copies it (a hundred attributes
 * over every event make those copies most of the garbage). Whether it changed.
 */
export function observeInto(def: Definition, state: AttributeState, event: BatchEvent, batch: BatchTime, receivedAtMs: number): boolean {
  const o = observeEvent(def, event, batch, receivedAtMs);
  return o !== undefined && addInto(def, state, o);
}

/** Adds an observation to the state in place, its calculation states included (`Calculation.addInPlace`); whether it changed. */
function addInto(def: Definition, state: AttributeState, o: Observation): boolean {
  checkType(def, state);
  const range = rangeOf(def);
  if (o.atMs < range.fromMs) return false;
  const calc = calculationOf(def.calculation_type);
  if (range.bucketMs === undefined) return calc.addInPlace(state.base, o);
  const start = Math.floor(o.atMs / range.bucketMs) * range.bucketMs;
  // Most events fall in the last bucket.
  const buckets = state.buckets as (readonly [number, CalcState])[];
  let i = buckets.length;
  while (i > 0 && (buckets[i - 1]?.[0] ?? 0) > start) i -= 1;
  const held = buckets[i - 1];
  if (held?.[0] === start) return calc.addInPlace(held[1], o);
  const fresh = calc.empty();
  calc.addInPlace(fresh, o);
  buckets.splice(i, 0, [start, fresh]);
  return true;
}

/**
 * The state of events known by their tallies (see `Calculation.fromTally`): one per bucket of the
 * definition's date range (`bucketStartMs` null for `since`), each of events in the range. Undefined
 * for a calculation that needs the events' values.
 */
export function stateOfTallies(def: Definition, tallies: readonly (Tally & { readonly bucketStartMs: number | null })[]): AttributeState | undefined {
  const calc = calculationOf(def.calculation_type);
  const fromTally = calc.fromTally;
  if (!fromTally) return undefined;
  let base = calc.empty();
  const buckets: [number, CalcState][] = [];
  for (const tally of tallies) {
    if (tally.bucketStartMs === null) base = calc.merge(base, fromTally(tally));
    else buckets.push([tally.bucketStartMs, fromTally(tally)]);
  }
  buckets.sort((a, b) => a[0] - b[0]);
  return { calculation_type: def.calculation_type, base, buckets };
}

/**
 * Two states combined (`a` the earlier: history before live events; seeds before both). The
 * states must be of the same calculation type.
 */
export function mergeStates(a: AttributeState, b: AttributeState): AttributeState {
  if (a.calculation_type !== b.calculation_type) {
    throw new Error(`Cannot merge a ${a.calculation_type} state with a ${b.calculation_type} state`);
  }
  const calc = calculationOf(a.calculation_type);
  const byStart = new Map<number, CalcState>(a.buckets.map(([s, st]) => [s, st]));
  for (const [s, st] of b.buckets) {
    const held = byStart.get(s);
    byStart.set(s, held === undefined ? st : calc.merge(held, st));
  }
  const buckets = [...byStart].sort((x, y) => x[0] - y[0]);
  return { calculation_type: a.calculation_type, base: calc.merge(a.base, b.base), buckets };
}

/** Whether a bucket still counts at `nowMs`. */
function inWindow(range: DateRange, start: number, nowMs: number): boolean {
  return range.windowMs === undefined || range.bucketMs === undefined || start + range.bucketMs > nowMs - range.windowMs;
}

/** The state without the buckets that have left the window at `nowMs` (the same object if none has). */
export function prune(def: Definition, state: AttributeState, nowMs: number): AttributeState {
  const range = rangeOf(def);
  const buckets = state.buckets.filter(([start]) => inWindow(range, start, nowMs));
  return buckets.length === state.buckets.length ? state : { ...state, buckets };
}

/** The attribute's value at `nowMs`, as mParticle shows it (see `calculations.ts`). */
export function valueAt(def: Definition, state: AttributeState, nowMs: number): CalculatedValue | undefined {
  checkType(def, state);
  const range = rangeOf(def);
  const calc = calculationOf(def.calculation_type);
  let merged = state.base;
  for (const [start, st] of state.buckets) if (inWindow(range, start, nowMs)) merged = calc.merge(merged, st);
  return calc.value(merged);
}

/**
 * When the value may next change with time alone (the oldest bucket in the window leaving
 * it), or undefined if it cannot (`since`, or nothing in the window). For a Calculated
 * Attributes feed, or to schedule recomputation.
 */
export function nextChangeMs(def: Definition, state: AttributeState, nowMs: number): number | undefined {
  const range = rangeOf(def);
  if (range.windowMs === undefined || range.bucketMs === undefined) return undefined;
  const oldest = state.buckets.find(([start]) => inWindow(range, start, nowMs));
  return oldest === undefined ? undefined : oldest[0] + range.bucketMs + range.windowMs;
}

function checkType(def: Definition, state: AttributeState): void {
  if (state.calculation_type !== def.calculation_type) {
    throw new Error(`A ${state.calculation_type} state cannot serve a ${def.calculation_type} definition`);
  }
}

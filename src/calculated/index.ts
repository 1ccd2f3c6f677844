/**
 * Calculated attributes: the pure computation core of mParticle's calculated attributes (CAs).
 * No I/O and no clock: the time is always a parameter.
 *
 * - `definition.ts`, `parse-definition.ts`: the Platform API v2 definition, checked and normalised;
 * - `conditions.ts`: conditions as a predicate over one attribute bag;
 * - `observations.ts`: what one event contributes to a definition;
 * - `calculations.ts`: the twelve calculations as mergeable JSON states;
 * - `windows.ts`: the date range, and the one `AttributeState` callers hold per user and CA;
 * - `seeds.ts`: the Seeding API's seeds as states.
 *
 * @example
 *   const parsed = parseDefinition(body.draft_definition, { retentionDays: 365, nowMs });
 *   if (!parsed.ok) throw new BadRequest(parsed.problems.map((message) => ({ code: 'BAD_REQUEST', message })));
 *   let state = newState(parsed.definition);
 *   for (const event of batch.events) state = observe(parsed.definition, state, event, batch, receivedAtMs);
 *   const value = valueAt(parsed.definition, prune(parsed.definition, state, nowMs), nowMs);
 */
export * from './definition.ts';
export { parseDefinition, reviveDefinition, type ParseOptions, type ParseResult } from './parse-definition.ts';
export { compileCondition, compileConditions, type AttributeLookup, type ConditionPredicate } from './conditions.ts';
export {
  eventTimeMs,
  matchesDataPoint,
  observeEvent,
  type BatchTime,
  type Observation,
  type WeightedValue,
} from './observations.ts';
export {
  CALCULATIONS,
  calculationOf,
  UNIQUE_VALUES_COUNT_LIMIT,
  VALUE_LIMIT,
  type CalcState,
  type Calculation,
  type CalculatedValue,
  type StateOf,
} from './calculations.ts';
export {
  addObservation,
  HOURLY_BUCKETS_UP_TO_MS,
  mergeStates,
  newState,
  nextChangeMs,
  observe,
  prune,
  rangeOf,
  valueAt,
  type AttributeState,
  type DateRange,
} from './windows.ts';
export { parseSeed, seedCalculationType, type SeedResult } from './seeds.ts';

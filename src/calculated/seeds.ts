import { CALCULATIONS, type CalcState, calculationOf, UNIQUE_VALUES_COUNT_LIMIT, VALUE_LIMIT } from './calculations.ts';
import { isEpochMs, parseIsoDate } from './dates.ts';
import { type Decimal, formatDecimal, toDecimal } from './decimal.ts';
import { CALCULATION_TYPES, type CalculationType, type Definition, isOneOf } from './definition.ts';
import type { Observation } from './observations.ts';
import { asScalar, toText } from './values.ts';
import type { AttributeState } from './windows.ts';

/**
 * Seeds, as the Calculated Attributes Seeding API sends them: one `seed` object per calculated
 * attribute, with `value`, `key_value_pairs` or `list` by calculation type:
 *
 * | calculation | seed |
 * |---|---|
 * | count, sum, min (minimum), max (maximum) | `value`, numeric (a count a non-negative integer) |
 * | average | `key_value_pairs`: `sum` (numeric) and `count` (a positive integer) |
 * | first_occurrence, last_occurrence | `value` |
 * | first/last_occurrence_timestamp | `value`: UNIX epoch milliseconds |
 * | unique_list, unique_values_count | `list` |
 * | most_frequent | `key_value_pairs`: value → count |
 *
 * Numbers may be sent as JSON numbers or numeric strings (the API's own examples use both).
 * Errors read "<CA name>: <message>", the API's documented form; only "Seed value must be
 * numeric" is documented, the others are Quanta's in the same style.
 *
 * The seed becomes an {@link AttributeState} to merge before the live state
 * (`mergeStates(seed, live)`). Seeded values sit outside any time bucket: they never age out of
 * a `within` window (the Reference: "seeded values don't decrement"). Seeded first and last
 * values count as seen just before the cutoff, so any live event is later.
 */

export type SeedResult =
  | { ok: true; state: AttributeState; cutoffMs: number }
  | { ok: false; errors: string[] };

/** The seeding API's calculation type: a definition's, with `minimum` / `maximum` for min / max. */
export function seedCalculationType(raw: unknown): CalculationType | undefined {
  if (raw === 'minimum') return 'min';
  if (raw === 'maximum') return 'max';
  return isOneOf(CALCULATION_TYPES, raw) ? raw : undefined;
}

/**
 * Checks one seed and makes its state.
 *
 * @param caName the calculated attribute's name, which prefixes every error.
 * @param target the calculated attribute's definition, or the calculation type the request names.
 * @param seed the `seed` object.
 * @param cutoffDate the request's `cutoff_date` (yyyy-MM-dd, or any ISO 8601 date); if the
 *   definition has a seeding cutoff, they must name the same instant.
 */
export function parseSeed(caName: string, target: Definition | string, seed: unknown, cutoffDate: unknown): SeedResult {
  const errors: string[] = [];
  const fail = (message: string): void => void errors.push(`${caName}: ${message}`);
  const type = typeof target === 'string' ? seedCalculationType(target) : target.calculation_type;
  const cutoff = typeof cutoffDate === 'string' ? parseIsoDate(cutoffDate) : undefined;
  if (!type) fail('Invalid calculation type');
  if (!cutoff) fail('Seed cutoff date must be a date (yyyy-MM-dd)');
  else if (typeof target !== 'string' && target.seeding && parseIsoDate(target.seeding.cutoff_date)?.ms !== cutoff.ms) {
    fail("Seed cutoff date does not match the calculated attribute's seeding cutoff date");
  }
  if (seed === null || typeof seed !== 'object' || Array.isArray(seed)) fail('Seed must be an object');
  if (!type || !cutoff || errors.length > 0) return { ok: false, errors };
  const base = seedState(type, seed as Record<string, unknown>, cutoff.ms - 1, fail);
  if (!base || errors.length > 0) return { ok: false, errors };
  return { ok: true, state: { calculation_type: type, base, buckets: [] }, cutoffMs: cutoff.ms };
}

type Fail = (message: string) => void;

function seedState(type: CalculationType, seed: Record<string, unknown>, atMs: number, fail: Fail): CalcState | undefined {
  switch (type) {
    case 'count': {
      const d = numeric(seed.value, fail);
      if (d && (d.m < 0n || d.e < 0)) fail('Seed value must be a non-negative integer');
      return d && { n: Number(formatDecimal(d)) };
    }
    case 'sum': {
      const d = numeric(seed.value, fail);
      return d && { sum: formatDecimal(d) };
    }
    case 'min':
    case 'max': {
      const d = numeric(seed.value, fail);
      return d && { v: formatDecimal(d) };
    }
    case 'average':
      return averageSeed(seed.key_value_pairs, fail);
    case 'first_occurrence':
    case 'last_occurrence': {
      const v = asScalar(seed.value);
      if (v === undefined) fail(seed.value === undefined || seed.value === null ? 'Seed value must be specified' : 'Seed value must be a string');
      return v === undefined ? undefined : { seen: { value: toText(v), atMs } };
    }
    case 'first_occurrence_timestamp':
    case 'last_occurrence_timestamp': {
      const ms = typeof seed.value === 'string' && /^-?\d+$/.test(seed.value.trim()) ? Number(seed.value) : seed.value;
      if (seed.value === undefined || seed.value === null) fail('Seed value must be specified');
      else if (!isEpochMs(ms) || !Number.isInteger(ms)) fail('Seed value must be a UNIX epoch timestamp in milliseconds');
      return isEpochMs(ms) ? { ms } : undefined;
    }
    case 'unique_list':
    case 'unique_values_count': {
      const list = textList(seed.list, type === 'unique_list' ? VALUE_LIMIT : UNIQUE_VALUES_COUNT_LIMIT, fail);
      const calc = calculationOf(type);
      return list && calc.add(calc.empty(), observation(atMs, list.map((value) => [value, 1])));
    }
    case 'most_frequent': {
      const pairs = valueCounts(seed.key_value_pairs, fail);
      return pairs && CALCULATIONS.most_frequent.add(CALCULATIONS.most_frequent.empty(), observation(atMs, pairs));
    }
  }
}

function observation(atMs: number, values: readonly (readonly [string, number])[]): Observation {
  return { atMs, stampMs: atMs, values: values.map(([value, weight]) => ({ value, weight })) };
}

function numeric(value: unknown, fail: Fail, message = 'Seed value must be numeric'): Decimal | undefined {
  if (value === undefined || value === null) {
    fail('Seed value must be specified');
    return undefined;
  }
  const d = toDecimal(value);
  if (!d) fail(message);
  return d;
}

function pairsOf(raw: unknown, fail: Fail): [string, unknown][] | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    fail('Seed key_value_pairs must be specified');
    return undefined;
  }
  return Object.entries(raw);
}

function averageSeed(raw: unknown, fail: Fail): CalcState | undefined {
  const pairs = pairsOf(raw, fail);
  if (!pairs) return undefined;
  const get = (key: string): unknown => pairs.find(([k]) => k === key)?.[1];
  const sum = toDecimal(get('sum'));
  const count = toDecimal(get('count'));
  if (!sum) fail("Seed key_value_pairs 'sum' must be numeric");
  if (!count || count.m <= 0n || count.e < 0) fail("Seed key_value_pairs 'count' must be a positive integer");
  return sum && count && count.m > 0n && count.e >= 0 ? { sum: formatDecimal(sum), weight: formatDecimal(count) } : undefined;
}

function valueCounts(raw: unknown, fail: Fail): [string, number][] | undefined {
  const pairs = pairsOf(raw, fail);
  if (!pairs) return undefined;
  if (pairs.length > VALUE_LIMIT) fail(`Seed key_value_pairs cannot exceed ${VALUE_LIMIT} values`);
  const out: [string, number][] = [];
  for (const [key, value] of pairs) {
    const n = toDecimal(value);
    const count = n === undefined ? undefined : Number(formatDecimal(n));
    if (count === undefined || count <= 0 || key === '') {
      fail('Seed key_value_pairs counts must be positive numbers');
      return undefined;
    }
    out.push([key, count]);
  }
  return out;
}

function textList(raw: unknown, limit: number, fail: Fail): string[] | undefined {
  if (!Array.isArray(raw)) {
    fail('Seed list must be specified');
    return undefined;
  }
  if (raw.length > limit) fail(`Seed list cannot exceed ${limit.toLocaleString('en-US')} values`);
  const texts = raw.map(asScalar);
  if (texts.some((t) => t === undefined)) {
    fail('Seed list values must be strings');
    return undefined;
  }
  return (texts as (string | number | boolean)[]).map(toText);
}

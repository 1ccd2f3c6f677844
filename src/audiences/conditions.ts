import type { Condition, ConditionValue } from './definition.ts';

/**
 * The audience builder's matching rules (the Real-time Audiences guide), over one value (an event
 * attribute, a user attribute, a calculated attribute's value, a device field):
 *
 * - strings: every match is case-insensitive; `pattern` is a wildcard match, `*` any number of
 *   characters and `?` any one;
 * - numbers: `equals`, `greater_than`, `less_than`, `between` (inclusive), numeric strings read as
 *   numbers;
 * - dates (ISO 8601 strings or epoch milliseconds): `before` a day is not inclusive of it, `after`
 *   a day is, `on` covers the UTC calendar day, `between` two days includes both; a date with a
 *   time of day compares as that instant;
 * - lists: `includes` / `not_includes` an element equal to the value, `partial_match` an element
 *   containing it;
 * - `exists` / `not_exists`: whether there is a value at all (null is none).
 *
 * A negative test (`not_equals`, `not_contains`, `not_includes`) holds for a user without the value:
 * a user without a `tier` attribute "does not match" gold. Every other test needs the value.
 */
export function testCondition(condition: Pick<Condition, 'operator' | 'value'>, value: unknown): boolean {
  const present = value !== undefined && value !== null;
  const wanted = condition.value;
  switch (condition.operator) {
    case 'exists':
      return present;
    case 'not_exists':
      return !present;
    case 'not_equals':
      return !present || !equals(value, wanted);
    case 'not_contains':
      return !present || !contains(value, wanted);
    case 'not_includes':
      return !present || !listOf(value).some((e) => equals(e, wanted));
    default:
      break;
  }
  if (!present) return false;
  switch (condition.operator) {
    case 'equals':
      return equals(value, wanted);
    case 'contains':
      return contains(value, wanted);
    case 'pattern':
      return typeof wanted === 'string' && patternOf(wanted).test(textOf(value));
    case 'greater_than':
      return compareNumbers(value, wanted, (a, b) => a > b);
    case 'less_than':
      return compareNumbers(value, wanted, (a, b) => a < b);
    case 'between':
      return between(value, wanted);
    case 'includes':
      return listOf(value).some((e) => equals(e, wanted));
    case 'partial_match':
      return listOf(value).some((e) => contains(e, wanted));
    case 'before': {
      const at = dateOf(value);
      const day = dayOf(wanted);
      return at !== undefined && day !== undefined && at < day.start;
    }
    case 'after': {
      const at = dateOf(value);
      const day = dayOf(wanted);
      return at !== undefined && day !== undefined && at >= day.start;
    }
    case 'on': {
      const at = dateOf(value);
      const day = dayOf(wanted);
      return at !== undefined && day !== undefined && at >= day.start && at < day.end;
    }
    default:
      return false;
  }
}

/** A value as text: a string as itself, a number or boolean as JavaScript writes it, anything else as JSON. */
export const textOf = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));

/** Equal as numbers when both are numbers (or numeric strings), else as text, ignoring case. */
function equals(value: unknown, wanted: ConditionValue | null): boolean {
  if (wanted === null || Array.isArray(wanted)) return false;
  const a = numberOf(value);
  const b = numberOf(wanted);
  if (a !== undefined && b !== undefined) return a === b;
  return textOf(value).toLowerCase() === textOf(wanted).toLowerCase();
}

function contains(value: unknown, wanted: ConditionValue | null): boolean {
  if (wanted === null || Array.isArray(wanted)) return false;
  if (Array.isArray(value)) return value.some((e) => contains(e, wanted));
  return textOf(value).toLowerCase().includes(textOf(wanted).toLowerCase());
}

const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** A number, or a string that is one; undefined otherwise. */
export function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(v.trim())) return Number(v);
  return undefined;
}

function compareNumbers(value: unknown, wanted: ConditionValue | null, test: (a: number, b: number) => boolean): boolean {
  const a = numberOf(value);
  const b = numberOf(wanted);
  return a !== undefined && b !== undefined && test(a, b);
}

/** `between [low, high]`: numbers inclusive, or dates from the start of the first day to the end of the second. */
function between(value: unknown, wanted: ConditionValue | null): boolean {
  if (!Array.isArray(wanted)) return false;
  const [low, high] = wanted as readonly [string | number, string | number];
  const a = numberOf(value);
  const lo = numberOf(low);
  const hi = numberOf(high);
  if (a !== undefined && lo !== undefined && hi !== undefined) return a >= lo && a <= hi;
  const at = dateOf(value);
  const from = dayOf(low);
  const to = dayOf(high);
  return at !== undefined && from !== undefined && to !== undefined && at >= from.start && at < to.end;
}

const DAY_MS = 86_400_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** An instant: epoch milliseconds, or an ISO 8601 date (a date alone is its UTC midnight). */
export function dateOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(v)) return undefined;
  const ms = Date.parse(DATE_ONLY.test(v) ? `${v}T00:00:00Z` : v);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The span a condition's date names: a calendar day (UTC) for a date alone, the instant itself for
 * a date with a time of day.
 */
export function dayOf(v: unknown): { start: number; end: number } | undefined {
  const ms = dateOf(v);
  if (ms === undefined) return undefined;
  if (typeof v === 'string' && DATE_ONLY.test(v)) return { start: ms, end: ms + DAY_MS };
  return { start: ms, end: ms + 1 };
}

const patterns = new Map<string, RegExp>();

/** `*` any characters, `?` one, everything else literal; whole value, case-insensitive. */
export function patternOf(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) {
    const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
    re = new RegExp(`^${body}$`, 'is');
    if (patterns.size > 10_000) patterns.clear();
    patterns.set(pattern, re);
  }
  return re;
}

import { DAY_MS, toDate } from './dates.ts';
import { toNumber } from './decimal.ts';
import type { Condition } from './definition.ts';

/**
 * A definition's conditions, compiled once into a predicate over one attribute bag: an event's
 * `custom_attributes`, or a product's or promotion's fields and custom attributes.
 *
 * mParticle documents the operators and that "if the event does not contain the attribute, it
 * is implied that the condition is not met"; the rest is Quanta's reading, stated here:
 *
 * - Missing: an attribute absent or `null` is missing. A missing attribute fails every operator
 *   but `not_exists` (so `not_equals` and `not_contains` fail on it too).
 * - `exists`: present, whatever its value. `empty`: present and `""` or an empty list.
 * - Lists (an attribute whose value is an array): a positive operator holds if some element
 *   matches; `not_equals` / `not_contains` hold if no element matches (and there is one).
 * - Strings: every comparison is case-insensitive. Numbers and booleans compare as their text
 *   (5 as "5"). `pattern` matches the whole value, `*` standing for any run of characters
 *   (none included) and `?` for exactly one; every other character is literal.
 * - Numbers: numbers and numeric strings ("34.32", " 7 ", "1e3") compare numerically; a value
 *   that is not a number fails every numeric operator but `exists`, `not_exists` and `empty`
 *   (`not_equals` included: it is not a number that differs). `between` is inclusive.
 * - Booleans: `true`/`false` or the strings "true"/"false" in any case; anything else fails.
 * - Dates: ISO 8601 strings (UTC when they name no zone) and epoch milliseconds (a number or a
 *   string of digits). An operand that names a day ("2024-03-05") stands for that whole UTC
 *   day, one that names an instant for that millisecond: `equals` is within it (the same UTC
 *   day for a day), `before` is before it starts and `after` after it ends (both exclusive),
 *   `between_dates` from the start of the minimum through the end of the maximum (inclusive).
 */

/** An attribute by name; `undefined` (or `null`) when the bag does not have it. */
export type AttributeLookup = (name: string) => unknown;

/** Whether a bag of attributes meets a definition's conditions. */
export type ConditionPredicate = (lookup: AttributeLookup) => boolean;

/** A test of a present attribute value. */
type ValueTest = (value: unknown) => boolean;

/** All conditions must hold (the Platform API: "conditions that must be met"); none: always true. */
export function compileConditions(conditions: readonly Condition[]): ConditionPredicate {
  const predicates = conditions.map(compileCondition);
  if (predicates.length === 0) return () => true;
  return (lookup) => predicates.every((p) => p(lookup));
}

/** One condition as a predicate. */
export function compileCondition(condition: Condition): ConditionPredicate {
  const name = condition.attribute_name;
  if (condition.operator === 'not_exists') return (lookup) => isMissing(lookup(name));
  const test = valueTest(condition);
  return (lookup) => {
    const value = lookup(name);
    return !isMissing(value) && test(value);
  };
}

/** Absent or `null`. */
export function isMissing(value: unknown): boolean {
  return value === undefined || value === null;
}

/** `""` or an empty list. */
export function isEmptyValue(value: unknown): boolean {
  return value === '' || (Array.isArray(value) && value.length === 0);
}

function valueTest(c: Condition): ValueTest {
  if (c.operator === 'exists') return () => true;
  if (c.operator === 'empty') return isEmptyValue;
  switch (c.type) {
    case 'string':
      return stringTest(c);
    case 'number':
      return numberTest(c);
    case 'boolean': {
      const wanted = toBoolean(c.value);
      return some(toBoolean, (b) => b === wanted);
    }
    case 'date':
      return dateTest(c);
  }
}

/** The elements of a value: a list's, or the value itself. */
function elements(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** Some element reads as `read` and passes `test`. */
function some<T>(read: (v: unknown) => T | undefined, test: (t: T) => boolean): ValueTest {
  return (value) => elements(value).some((v) => {
    const t = read(v);
    return t !== undefined && test(t);
  });
}

/** Some element reads as `read`, and none passes `test`. */
function none<T>(read: (v: unknown) => T | undefined, test: (t: T) => boolean): ValueTest {
  return (value) => {
    const read_ = elements(value).map(read).filter((t): t is T => t !== undefined);
    return read_.length > 0 && !read_.some(test);
  };
}

/** A value as lower-case text (strings, numbers and booleans). */
function lowerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.toLowerCase();
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return String(value).toLowerCase();
  return undefined;
}

function stringTest(c: Extract<Condition, { type: 'string' }>): ValueTest {
  const operand = (c.value ?? '').toLowerCase();
  switch (c.operator) {
    case 'equals':
      return some(lowerText, (t) => t === operand);
    case 'not_equals':
      return none(lowerText, (t) => t === operand);
    case 'contains':
      return some(lowerText, (t) => t.includes(operand));
    case 'not_contains':
      return none(lowerText, (t) => t.includes(operand));
    case 'pattern': {
      const re = wildcard(operand);
      return some(lowerText, (t) => re.test(t));
    }
    case 'in_list': {
      const set = new Set((c.values ?? []).map((v) => v.toLowerCase()));
      return some(lowerText, (t) => set.has(t));
    }
    default:
      return () => false;
  }
}

/** A wildcard pattern (`*` any run, `?` one character) as a whole-value regular expression. */
export function wildcard(pattern: string): RegExp {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[\\s\\S]*')
    .replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${source}$`, 'u');
}

function numberTest(c: Extract<Condition, { type: 'number' }>): ValueTest {
  const x = toNumber(c.value) ?? Number.NaN;
  switch (c.operator) {
    case 'equals':
      return some(toNumber, (n) => n === x);
    case 'not_equals':
      return none(toNumber, (n) => n === x);
    case 'greater_than':
      return some(toNumber, (n) => n > x);
    case 'greater_or_equal':
      return some(toNumber, (n) => n >= x);
    case 'less_than':
      return some(toNumber, (n) => n < x);
    case 'less_than_or_equal':
      return some(toNumber, (n) => n <= x);
    case 'between': {
      const min = toNumber(c.min_value) ?? Number.NaN;
      const max = toNumber(c.max_value) ?? Number.NaN;
      return some(toNumber, (n) => n >= min && n <= max);
    }
    case 'in_list': {
      const set = new Set((c.values ?? []).map((v) => toNumber(v)));
      return some(toNumber, (n) => set.has(n));
    }
    default:
      return () => false;
  }
}

function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  return text === 'true' ? true : text === 'false' ? false : undefined;
}

/** An instant, read from an attribute value (a day reads as its first millisecond). */
const instant = (value: unknown): number | undefined => toDate(value)?.ms;

/** An operand as the span it names: [first, end) in epoch milliseconds. */
function span(text: string | null): [number, number] {
  const d = text === null ? undefined : toDate(text);
  if (!d) return [Number.NaN, Number.NaN];
  return [d.ms, d.ms + (d.dateOnly ? DAY_MS : 1)];
}

function dateTest(c: Extract<Condition, { type: 'date' }>): ValueTest {
  const [first, end] = span(c.value);
  switch (c.operator) {
    case 'equals':
      return some(instant, (t) => t >= first && t < end);
    case 'before':
      return some(instant, (t) => t < first);
    case 'after':
      return some(instant, (t) => t >= end);
    case 'between_dates': {
      const [min] = span(c.min_value);
      const [, max] = span(c.max_value);
      return some(instant, (t) => t >= min && t < max);
    }
    default:
      return () => false;
  }
}

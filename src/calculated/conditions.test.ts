import { describe, expect, it } from 'vitest';
import { compileCondition, compileConditions, wildcard } from './conditions.ts';
import type { Condition, Operator } from './definition.ts';

type Operand = string | string[] | [min: string, max: string, range: 'range'] | null;

function condition(type: Condition['type'], operator: Operator, operand: Operand): Condition {
  const range = Array.isArray(operand) && operand[2] === 'range';
  return {
    type,
    operator,
    attribute_name: 'x',
    value: typeof operand === 'string' ? operand : null,
    values: Array.isArray(operand) && !range ? operand : null,
    min_value: range ? (operand[0] ?? null) : null,
    max_value: range ? (operand[1] ?? null) : null,
  } as Condition;
}

/** Whether `{ x: value }` (or a bag without x when value is undefined) meets the condition. */
function holds(type: Condition['type'], operator: Operator, operand: Operand, value: unknown): boolean {
  const bag: Record<string, unknown> = value === undefined ? {} : { x: value };
  return compileCondition(condition(type, operator, operand))((name) => bag[name]);
}

const range = (min: string, max: string): Operand => [min, max, 'range'];
const MISSING = undefined;

describe('conditions: a missing attribute fails every operator but not_exists', () => {
  const cases: [Condition['type'], Operator, Operand][] = [
    ['string', 'exists', null], ['string', 'empty', null], ['string', 'equals', 'a'], ['string', 'not_equals', 'a'],
    ['string', 'contains', 'a'], ['string', 'not_contains', 'a'], ['string', 'pattern', '*'], ['string', 'in_list', ['a']],
    ['number', 'not_equals', '1'], ['number', 'less_than', '1'], ['number', 'between', range('0', '1')],
    ['boolean', 'equals', 'false'], ['date', 'before', '2030-01-01'], ['date', 'between_dates', range('2000-01-01', '2030-01-01')],
  ];
  it.each(cases)('%s %s', (type, operator, operand) => {
    expect(holds(type, operator, operand, MISSING)).toBe(false);
    expect(holds(type, operator, operand, null)).toBe(false);
  });
  it.each(['string', 'number', 'boolean', 'date'] as const)('%s not_exists', (type) => {
    expect(holds(type, 'not_exists', null, MISSING)).toBe(true);
    expect(holds(type, 'not_exists', null, null)).toBe(true);
    expect(holds(type, 'not_exists', null, '')).toBe(false);
    expect(holds(type, 'not_exists', null, 0)).toBe(false);
  });
});

describe('conditions: every operator of every type', () => {
  it.each<[Condition['type'], Operator, Operand, unknown, boolean]>([
    // exists / empty: present, and present but empty
    ['string', 'exists', null, '', true],
    ['number', 'exists', null, 'not a number', true],
    ['boolean', 'exists', null, false, true],
    ['date', 'exists', null, [], true],
    ['string', 'empty', null, '', true],
    ['string', 'empty', null, ' ', false],
    ['number', 'empty', null, [], true],
    ['boolean', 'empty', null, false, false],
    ['date', 'empty', null, 0, false],
    // strings: case-insensitive
    ['string', 'equals', 'Drama', 'drama', true],
    ['string', 'equals', 'Drama', 'dramas', false],
    ['string', 'equals', '5', 5, true],
    ['string', 'equals', 'TRUE', true, true],
    ['string', 'not_equals', 'drama', 'Comedy', true],
    ['string', 'not_equals', 'drama', 'DRAMA', false],
    ['string', 'not_equals', 'drama', {}, false],
    ['string', 'contains', 'SOCK', 'Blue socks', true],
    ['string', 'contains', 'sock', 'Shoe', false],
    ['string', 'not_contains', 'sock', 'Shoe', true],
    ['string', 'not_contains', 'SOCK', 'blue socks', false],
    ['string', 'in_list', ['AUD', 'EUR'], 'eur', true],
    ['string', 'in_list', ['AUD', 'EUR'], 'USD', false],
    ['string', 'pattern', 'S*k?', 'socks', true],
    ['string', 'pattern', 's*k?', 'sock', false],
    ['string', 'pattern', 's*', 'S', true],
    ['string', 'pattern', '?', '', false],
    ['string', 'pattern', 'a.c', 'abc', false],
    ['string', 'pattern', 'a.c', 'A.C', true],
    ['string', 'pattern', '(x)+[y]', '(X)+[y]', true],
    ['string', 'pattern', 'line*', 'line1\nline2', true],
    ['string', 'pattern', '??', '😀x', true],
    // numbers: numeric strings are numbers
    ['number', 'equals', '34.32', '34.320', true],
    ['number', 'equals', '1', 1, true],
    ['number', 'equals', '1', 'one', false],
    ['number', 'not_equals', '1', 2, true],
    ['number', 'not_equals', '1', '1.0', false],
    ['number', 'not_equals', '1', 'one', false],
    ['number', 'greater_than', '10', '10.5', true],
    ['number', 'greater_than', '10', 10, false],
    ['number', 'greater_or_equal', '10', 10, true],
    ['number', 'greater_or_equal', '10', 9.99, false],
    ['number', 'less_than', '10', '2', true],
    ['number', 'less_than', '10', '10', false],
    ['number', 'less_than_or_equal', '10', '1e1', true],
    ['number', 'less_than_or_equal', '10', 11, false],
    ['number', 'between', range('1', '5'), 1, true],
    ['number', 'between', range('1', '5'), '5', true],
    ['number', 'between', range('1', '5'), 5.01, false],
    ['number', 'between', range('1', '5'), true, false],
    ['number', 'in_list', ['1', '2.5'], '2.50', true],
    ['number', 'in_list', ['1', '2.5'], 3, false],
    // booleans
    ['boolean', 'equals', 'true', true, true],
    ['boolean', 'equals', 'true', 'True', true],
    ['boolean', 'equals', 'false', 'FALSE ', true],
    ['boolean', 'equals', 'false', true, false],
    ['boolean', 'equals', 'true', 1, false],
    ['boolean', 'equals', 'true', 'yes', false],
    // dates: ISO strings and epoch ms; a date-only operand is its whole UTC day
    ['date', 'equals', '2025-03-05', '2025-03-05T23:59:59.999Z', true],
    ['date', 'equals', '2025-03-05', '2025-03-06T00:00:00Z', false],
    ['date', 'equals', '2025-03-05', Date.UTC(2025, 2, 5, 12), true],
    ['date', 'equals', '2025-03-05T10:00:00Z', '2025-03-05T12:00:00+02:00', true],
    ['date', 'equals', '2025-03-05T10:00:00Z', '2025-03-05T10:00:00.001Z', false],
    ['date', 'before', '2025-03-05', '2025-03-04T23:59:59Z', true],
    ['date', 'before', '2025-03-05', '2025-03-05T00:00:00Z', false],
    ['date', 'before', '2025-03-05T10:00:00Z', String(Date.UTC(2025, 2, 5, 9)), true],
    ['date', 'after', '2025-03-05', '2025-03-05T23:00:00Z', false],
    ['date', 'after', '2025-03-05', '2025-03-06', true],
    ['date', 'after', '2025-03-05T10:00:00Z', '2025-03-05T10:00:00Z', false],
    ['date', 'after', '2025-03-05T10:00:00Z', '2025-03-05T10:00:00.001Z', true],
    ['date', 'between_dates', range('2025-03-01', '2025-03-05'), '2025-03-01T00:00:00Z', true],
    ['date', 'between_dates', range('2025-03-01', '2025-03-05'), '2025-03-05T23:59:59Z', true],
    ['date', 'between_dates', range('2025-03-01', '2025-03-05'), '2025-03-06', false],
    ['date', 'between_dates', range('2025-03-01T12:00:00Z', '2025-03-01T13:00:00Z'), '2025-03-01T13:00:00Z', true],
    ['date', 'between_dates', range('2025-03-01T12:00:00Z', '2025-03-01T13:00:00Z'), '2025-03-01T11:59:59Z', false],
    ['date', 'before', '2030-01-01', 'not a date', false],
  ])('%s %s %j on %j is %s', (type, operator, operand, value, expected) => {
    expect(holds(type, operator, operand, value)).toBe(expected);
  });
});

describe('conditions: list values', () => {
  it('hold for a positive operator if some element matches, for a negative one if none does', () => {
    expect(holds('string', 'equals', 'b', ['a', 'B'])).toBe(true);
    expect(holds('string', 'not_equals', 'b', ['a', 'B'])).toBe(false);
    expect(holds('string', 'not_contains', 'z', ['a', 'b'])).toBe(true);
    expect(holds('string', 'not_contains', 'z', [])).toBe(false);
    expect(holds('number', 'greater_than', '5', [1, '7'])).toBe(true);
    expect(holds('number', 'not_equals', '5', [5, 6])).toBe(false);
  });
});

describe('compileConditions', () => {
  it('needs every condition to hold, and holds for none', () => {
    const both = compileConditions([condition('string', 'equals', 'AUD'), { ...condition('number', 'greater_than', '10'), attribute_name: 'y' }]);
    expect(both((n) => ({ x: 'aud', y: 11 })[n])).toBe(true);
    expect(both((n) => ({ x: 'aud', y: 9 })[n])).toBe(false);
    expect(compileConditions([])(() => undefined)).toBe(true);
  });

  it('compiles patterns to whole-value regular expressions with only * and ? special', () => {
    expect(wildcard('a*b?').source).toBe('^a[\\s\\S]*b[\\s\\S]$');
    expect(wildcard('$^|').test('$^|')).toBe(true);
  });
});

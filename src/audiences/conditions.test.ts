import { describe, expect, it } from 'vitest';
import { testCondition } from './conditions.ts';
import type { AudienceOperator, ConditionValue } from './definition.ts';

const t = (operator: AudienceOperator, value: ConditionValue | null, actual: unknown) => testCondition({ operator, value }, actual);

describe('audience conditions (the Real-time Audiences guide)', () => {
  it('match strings case-insensitively: exact, contains, and their negations', () => {
    expect(t('equals', 'Blue', 'blue')).toBe(true);
    expect(t('equals', 'blue', 'blue shirt')).toBe(false);
    expect(t('contains', 'BLUE', 'a blue shirt')).toBe(true);
    expect(t('not_contains', 'red', 'a blue shirt')).toBe(true);
    expect(t('not_equals', 'gold', 'GOLD')).toBe(false);
  });

  it('patterns: * any characters, ? one, the whole value, other characters literal', () => {
    expect(t('pattern', 'bl?e', 'BLUE')).toBe(true);
    expect(t('pattern', 'b*e', 'blue')).toBe(true);
    expect(t('pattern', 'b*e', 'blues')).toBe(false);
    expect(t('pattern', 'a.b', 'axb')).toBe(false);
    expect(t('pattern', 'a.b', 'a.b')).toBe(true);
  });

  it('numbers, numeric strings included; between is inclusive', () => {
    expect(t('greater_than', 10, '11')).toBe(true);
    expect(t('greater_than', 10, 10)).toBe(false);
    expect(t('less_than', '2.5', 2)).toBe(true);
    expect(t('between', [1, 3], 3)).toBe(true);
    expect(t('between', [1, 3], 3.01)).toBe(false);
    expect(t('equals', 5, '5.0')).toBe(true);
    expect(t('greater_than', 10, 'many')).toBe(false);
  });

  it('dates: before excludes the day, after includes it, on is the UTC day, between includes both days', () => {
    expect(t('before', '2018-09-09', '2018-09-08T23:59:59Z')).toBe(true);
    expect(t('before', '2018-09-09', '2018-09-09T00:00:00Z')).toBe(false);
    expect(t('after', '2018-09-09', '2018-09-09T00:00:00Z')).toBe(true);
    expect(t('after', '2018-09-09', '2018-09-08T23:59:59Z')).toBe(false);
    expect(t('on', '2018-09-09', Date.UTC(2018, 8, 9, 23, 59))).toBe(true);
    expect(t('on', '2018-09-09', Date.UTC(2018, 8, 10))).toBe(false);
    expect(t('between', ['2018-09-07', '2018-09-09'], '2018-09-09T23:00:00Z')).toBe(true);
    expect(t('between', ['2018-09-07', '2018-09-09'], '2018-09-10T00:00:00Z')).toBe(false);
  });

  it('lists: includes a whole element, partial match a part of one', () => {
    const movies = ['Chicago', 'Chicago Cubs: the film'];
    expect(t('includes', 'chicago', movies)).toBe(true);
    expect(t('includes', 'Cubs', movies)).toBe(false);
    expect(t('partial_match', 'cubs', movies)).toBe(true);
    expect(t('not_includes', 'Heat', movies)).toBe(true);
  });

  it('exists and not exists; negative tests hold for a missing value, the others do not', () => {
    expect(t('exists', null, 'x')).toBe(true);
    expect(t('exists', null, null)).toBe(false);
    expect(t('not_exists', null, undefined)).toBe(true);
    expect(t('not_equals', 'gold', undefined)).toBe(true);
    expect(t('not_contains', 'gold', undefined)).toBe(true);
    expect(t('equals', 'gold', undefined)).toBe(false);
    expect(t('less_than', 5, undefined)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { formatDay, parseIsoDate, startOfDay, toDate } from './dates.ts';
import { addDecimal, compareDecimal, formatDecimal, formatRounded, multiplyDecimal, parseDecimal, toDecimal, toNumber } from './decimal.ts';
import { asScalar, compareAlphabetical, ownValue, toText } from './values.ts';

const d = (text: string) => parseDecimal(text);

describe('dates', () => {
  it.each([
    ['2019-10-01T00:00:00', Date.UTC(2019, 9, 1), false],
    ['2019-10-01', Date.UTC(2019, 9, 1), true],
    ['2020-01-01T22:14:47.1051728Z', Date.UTC(2020, 0, 1, 22, 14, 47, 105), false],
    ['2020-01-01T22:14:47+02:00', Date.UTC(2020, 0, 1, 20, 14, 47), false],
    ['2020-01-01T22:14-0130', Date.UTC(2020, 0, 1, 23, 44), false],
    ['2020-01-01 08:00:00z', Date.UTC(2020, 0, 1, 8), false],
    ['2024-02-29', Date.UTC(2024, 1, 29), true],
    ['0099-01-01', new Date('0099-01-01T00:00:00Z').getTime(), true],
  ])('reads %s as UTC', (text, ms, dateOnly) => {
    expect(parseIsoDate(text)).toEqual({ ms, dateOnly });
  });

  it.each(['2023-02-29', '2020-13-01', '2020-00-10', '2020-01-32', '2020-01-01T24:00', '2020-01-01T10:60', '20200101', 'yesterday', '', '2020-01-01T10:00+25:00'])(
    'refuses %j',
    (text) => expect(parseIsoDate(text)).toBeUndefined(),
  );

  it('reads dates as ISO strings or epoch milliseconds', () => {
    expect(toDate(1_704_067_200_000)).toEqual({ ms: 1_704_067_200_000, dateOnly: false });
    expect(toDate('1704067200000')).toEqual({ ms: 1_704_067_200_000, dateOnly: false });
    expect(toDate('2024-01-01')).toEqual({ ms: 1_704_067_200_000, dateOnly: true });
    expect(toDate(Number.NaN)).toBeUndefined();
    expect(toDate(9e15)).toBeUndefined();
    expect(toDate(true)).toBeUndefined();
  });

  it('formats days and finds their start', () => {
    const t = Date.UTC(2025, 11, 2, 23, 59);
    expect(formatDay(t)).toBe('2025-12-02');
    expect(startOfDay(t)).toBe(Date.UTC(2025, 11, 2));
  });
});

describe('decimals', () => {
  it.each([
    ['34.32', '34.32'],
    [' -5 ', '-5'],
    ['1e3', '1000'],
    ['.5', '0.5'],
    ['5.', '5'],
    ['0.000', '0'],
    ['+007.10', '7.1'],
    ['1.5e-3', '0.0015'],
    ['12345678901234567890.5', '12345678901234567890.5'],
  ])('reads %j as %s', (text, shown) => expect(formatDecimal(toDecimal(text)!)).toBe(shown));

  it.each(['', ' ', 'abc', '0x10', 'Infinity', '1e500', '1,5', '--1', '.', 'e5'])('does not read %j as a number', (text) => {
    expect(toDecimal(text)).toBeUndefined();
  });

  it('reads numbers through their shortest text, and nothing else', () => {
    expect(formatDecimal(toDecimal(0.1)!)).toBe('0.1');
    expect(formatDecimal(toDecimal(1e21)!)).toBe('1000000000000000000000');
    expect(toDecimal(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(toDecimal(true)).toBeUndefined();
    expect(toDecimal(null)).toBeUndefined();
    expect(toNumber('34.32')).toBe(34.32);
  });

  it('adds exactly: 0.1 + 0.2 is 0.3', () => {
    expect(formatDecimal(addDecimal(d('0.1'), d('0.2')))).toBe('0.3');
    expect(formatDecimal(addDecimal(d('-1.25'), d('1.25')))).toBe('0');
    expect(formatDecimal(multiplyDecimal(d('19.99'), d('3')))).toBe('59.97');
    expect(compareDecimal(d('2'), d('10'))).toBe(-1);
    expect(compareDecimal(d('-0.5'), d('-0.50'))).toBe(0);
  });

  it('rounds computed numbers to 15 significant digits', () => {
    expect(formatRounded(10 / 3)).toBe('3.33333333333333');
    expect(formatRounded(0.1 + 0.2)).toBe('0.3');
    expect(formatRounded(1e-7)).toBe('0.0000001');
  });
});

describe('values', () => {
  it('keeps strings, finite numbers and booleans; the rest (and "") is no value', () => {
    expect([asScalar('a'), asScalar(5), asScalar(false)]).toEqual(['a', 5, false]);
    expect([asScalar(''), asScalar(null), asScalar([1]), asScalar({}), asScalar(Number.NaN)]).toEqual([
      undefined, undefined, undefined, undefined, undefined,
    ]);
    expect([toText(5), toText(2.5), toText(true)]).toEqual(['5', '2.5', 'true']);
  });

  it('sorts alphabetically, case-insensitively first', () => {
    expect(['banana', 'Cherry', 'apple', 'Apple', 'B'].sort(compareAlphabetical)).toEqual(['Apple', 'apple', 'B', 'banana', 'Cherry']);
  });

  it('reads own properties only', () => {
    expect(ownValue({ a: 1 }, 'a')).toBe(1);
    expect(ownValue({}, 'constructor')).toBeUndefined();
    expect(ownValue({}, '__proto__')).toBeUndefined();
    expect(ownValue(['x'], '0')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { fitValue, inferColumnType, isoTimestamp, valueTypeOf } from './attribute-types.ts';

describe('inferColumnType', () => {
  it.each([
    [3, 'numeric'],
    [12.5, 'numeric'],
    [true, 'boolean'],
    ['2026-01-01T10:00:00Z', 'timestamptz'],
    ['2026-01-01 10:00:00.123+02:00', 'timestamptz'],
    ['42', 'text'],
    ['01234', 'text'],
    ['2026-01-01', 'text'],
    ['2026-01-01T10:00:00', 'text'],
    ['gold', 'text'],
  ])('%j decides %s', (value, type) => expect(inferColumnType(value)).toBe(type));

  it('decides nothing from null, an object or an array', () => {
    for (const value of [null, undefined, { a: 1 }, ['a']]) expect(inferColumnType(value)).toBeUndefined();
    expect(valueTypeOf(['a'])).toBe('json');
  });
});

describe('isoTimestamp', () => {
  it('reads ISO 8601 with an offset, as the instant it names', () => {
    expect(isoTimestamp('2026-01-01T09:30:00+01:00')).toBe('2026-01-01T08:30:00.000Z');
    expect(isoTimestamp('2026-01-01T09:30-0130')).toBe('2026-01-01T11:00:00.000Z');
    expect(isoTimestamp('2026-01-01t09:30:00.5z')).toBe('2026-01-01T09:30:00.500Z');
  });

  it('refuses a day the month does not have, and other fields out of range', () => {
    for (const text of ['2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01T10:60:00Z', '0000-01-01T00:00:00Z', '2024-01-01T00:00:00+19:00']) {
      expect(isoTimestamp(text)).toBeUndefined();
    }
    expect(isoTimestamp('2024-02-29T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z');
    expect(isoTimestamp('0050-03-01T00:00:00Z')).toBe('0050-03-01T00:00:00.000Z');
  });
});

describe('fitValue', () => {
  it('takes a numeric column\'s numbers and numeric strings', () => {
    expect(fitValue('numeric', 3)).toEqual({ fits: true, text: '3' });
    expect(fitValue('numeric', '-1.5e3')).toEqual({ fits: true, text: '-1.5e3' });
    expect(fitValue('numeric', 'high')).toEqual({ fits: false });
    expect(fitValue('numeric', '1e99999')).toEqual({ fits: false });
    expect(fitValue('numeric', true)).toEqual({ fits: false });
  });

  it('takes "true" and "false" for a boolean, an offset time for a timestamp, a scalar for text', () => {
    expect(fitValue('boolean', 'TRUE')).toEqual({ fits: true, text: 't' });
    expect(fitValue('boolean', 'yes')).toEqual({ fits: false });
    expect(fitValue('timestamptz', '2026-01-01T10:00:00Z')).toEqual({ fits: true, text: '2026-01-01T10:00:00.000Z' });
    expect(fitValue('timestamptz', 1767261600000)).toEqual({ fits: false });
    expect(fitValue('text', 7)).toEqual({ fits: true, text: '7' });
    expect(fitValue('text', { a: 1 })).toEqual({ fits: false });
  });

  it('fits null to every column, as NULL', () => {
    for (const type of ['numeric', 'boolean', 'timestamptz', 'text'] as const) expect(fitValue(type, null)).toEqual({ fits: true, text: null });
  });
});

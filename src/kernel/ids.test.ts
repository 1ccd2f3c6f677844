import { describe, expect, it } from 'vitest';
import { parseMpid } from './ids.ts';

describe('parseMpid', () => {
  it('accepts signed 64-bit values as strings, bigints and safe numbers', () => {
    expect(parseMpid('-9223372036854775808')).toBe('-9223372036854775808');
    expect(parseMpid('9223372036854775807')).toBe('9223372036854775807');
    expect(parseMpid(42)).toBe('42');
    expect(parseMpid(7n)).toBe('7');
  });

  it('rejects out-of-range, zero, fractional and non-numeric values', () => {
    expect(parseMpid('9223372036854775808')).toBeUndefined();
    expect(parseMpid(0)).toBeUndefined();
    expect(parseMpid(1.5)).toBeUndefined();
    expect(parseMpid('abc')).toBeUndefined();
    expect(parseMpid(2 ** 60)).toBeUndefined();
  });
});

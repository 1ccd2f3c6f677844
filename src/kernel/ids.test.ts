import { describe, expect, it } from 'vitest';
import { MAX_ID, parseAccountId, parseOrgId, parseMpid, parsePlanVersion, parseWorkspaceId } from './ids.ts';

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

describe('path id parsers', () => {
  it.each([parseWorkspaceId, parseOrgId, parseAccountId, parsePlanVersion].map((parse) => [parse.name, parse] as const))('%s takes plain digits from 1 to MAX_ID', (_, parse) => {
    expect(parse('1')).toBe(1);
    expect(parse('42')).toBe(42);
    expect(parse(String(MAX_ID))).toBe(MAX_ID);
  });

  it.each(['0', '-1', '1e309', '9223372036854775808', String(MAX_ID + 1), '1.5', '1.0', 'abc', ' 1', '1 ', '+1', '01', '0x10', '1e3', ''])(
    'refuses %j',
    (text) => {
      expect(parseWorkspaceId(text)).toBeUndefined();
    },
  );
});

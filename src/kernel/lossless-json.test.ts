import { describe, expect, it } from 'vitest';
import { parseJsonLossless, stringifyLossless } from './lossless-json.ts';

describe('parseJsonLossless', () => {
  it('keeps every digit of 64-bit mpids given as numbers', () => {
    const v = parseJsonLossless('{"mpid": -8203939215239999999, "x": {"previous_mpid":9223372036854775807}}') as {
      mpid: string;
      x: { previous_mpid: string };
    };
    expect(v.mpid).toBe('-8203939215239999999');
    expect(v.x.previous_mpid).toBe('9223372036854775807');
  });

  it('leaves mpid-like text inside strings alone', () => {
    const v = parseJsonLossless('{"note":"he said \\"mpid\\": 12345678901234567890"}') as { note: string };
    expect(v.note).toBe('he said "mpid": 12345678901234567890');
  });

  it('keeps string mpids as they are and throws on malformed JSON', () => {
    expect(parseJsonLossless('{"mpid":"42"}')).toEqual({ mpid: '42' });
    expect(() => parseJsonLossless('{"mpid":')).toThrow(SyntaxError);
  });
});

describe('stringifyLossless', () => {
  it('writes decimal-string mpids as exact numbers and bigints as strings', () => {
    expect(stringifyLossless({ mpid: '-8203939215239999999', id: 5n, note: 'mpid' })).toBe(
      '{"mpid":-8203939215239999999,"id":"5","note":"mpid"}',
    );
  });
});

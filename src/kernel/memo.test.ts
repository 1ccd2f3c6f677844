import { describe, expect, it } from 'vitest';
import { memoized } from './memo.ts';

describe('memoized', () => {
  it('computes each key once, remembers undefined too, and forgets everything when full', () => {
    const computed: string[] = [];
    const f = memoized((key: string) => {
      computed.push(key);
      return key === 'none' ? undefined : key.length;
    }, 2);
    expect([f('ab'), f('ab'), f('none'), f('none')]).toEqual([2, 2, undefined, undefined]);
    expect(computed).toEqual(['ab', 'none']);
    f('abc');
    f('ab');
    expect(computed).toEqual(['ab', 'none', 'abc', 'ab']);
  });
});

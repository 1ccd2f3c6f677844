import { describe, expect, it } from 'vitest';
import { CountedOffsets } from './counted-offsets.ts';

const at = (partition: number, offset: number) => ({ partition, offset });

describe('CountedOffsets', () => {
  it('claims each record once: not again at or below what the store holds', () => {
    const c = new CountedOffsets();
    c.load(new Map([[0, 5]]));
    expect([c.claim(at(0, 5)), c.claim(at(0, 6)), c.claim(at(1, 1))]).toEqual([false, true, true]);
    const taken = c.take();
    expect(taken).toEqual(new Map([[0, 6], [1, 1]]));
    expect(c.hasPending).toBe(false);
    c.saved(taken);
    expect(c.claim(at(0, 6))).toBe(false);
  });

  it('keeps the offsets of a failed write for the next one, with later ones', () => {
    const c = new CountedOffsets();
    c.claim(at(0, 3));
    const failed = c.take();
    c.claim(at(0, 4));
    c.claim(at(2, 9));
    c.putBack(failed);
    expect(c.take()).toEqual(new Map([[0, 4], [2, 9]]));
    c.reset();
    expect(c.claim(at(0, 1))).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import type { Mpid } from '../../kernel/ids.ts';
import { inSample, parseSamplingPercent, sampleSlot } from './sampling.ts';

/** MPIDs as IDSync makes them: signed 64-bit integers, here from a fixed seed. */
function mpids(n: number): Mpid[] {
  let x = 0x2545f4914f6cdd1dn;
  const out: Mpid[] = [];
  for (let i = 0; i < n; i++) {
    x ^= x << 13n;
    x ^= x >> 7n;
    x ^= x << 17n;
    x &= 0xffffffffffffffffn;
    out.push(BigInt.asIntN(64, x).toString() as Mpid);
  }
  return out;
}

const share = (users: Mpid[], percent: number, salt: string) => users.filter((m) => inSample(m, percent, salt)).length / users.length;

describe('inSample', () => {
  const users = mpids(10_000);

  it('is the same answer for the same user and connection, every time', () => {
    for (const m of users.slice(0, 100)) expect(inSample(m, 50, 'connection:1')).toBe(inSample(m, 50, 'connection:1'));
    expect(sampleSlot('8016465212456233417' as Mpid, 'connection:1')).toBe(sampleSlot('8016465212456233417' as Mpid, 'connection:1'));
  });

  it('takes about the share asked for, of random and of consecutive MPIDs', () => {
    expect(share(users, 30, 'connection:1')).toBeGreaterThanOrEqual(0.27);
    expect(share(users, 30, 'connection:1')).toBeLessThanOrEqual(0.33);
    const consecutive = Array.from({ length: 10_000 }, (_, i) => String(1000 + i) as Mpid);
    expect(share(consecutive, 30, 'connection:1')).toBeGreaterThanOrEqual(0.27);
    expect(share(consecutive, 30, 'connection:1')).toBeLessThanOrEqual(0.33);
    // Every slot is about equally full: no slot holds more than twice its share.
    const slots = new Array<number>(100).fill(0);
    for (const m of users) slots[sampleSlot(m, 'connection:1')]! += 1;
    expect(Math.max(...slots)).toBeLessThan(200);
    expect(Math.min(...slots)).toBeGreaterThan(50);
  });

  it('a larger sample holds the smaller one: raising the percent only adds users', () => {
    for (const m of users.slice(0, 1000)) if (inSample(m, 10, 's')) expect(inSample(m, 20, 's')).toBe(true);
  });

  it('samples each connection independently', () => {
    const both = users.filter((m) => inSample(m, 50, 'connection:1') && inSample(m, 50, 'connection:2')).length / users.length;
    expect(both).toBeGreaterThan(0.22);
    expect(both).toBeLessThan(0.28);
  });

  it('100 takes everyone, 0 no one', () => {
    expect(share(users, 100, 's')).toBe(1);
    expect(share(users, 0, 's')).toBe(0);
  });
});

describe('parseSamplingPercent', () => {
  it('takes a whole number from 1 to 100, 100 when left out', () => {
    expect(parseSamplingPercent(undefined)).toEqual({ ok: true, value: 100 });
    expect(parseSamplingPercent(1)).toEqual({ ok: true, value: 1 });
    expect(parseSamplingPercent(100)).toEqual({ ok: true, value: 100 });
    for (const bad of [0, 101, 12.5, '50', -1]) {
      expect(parseSamplingPercent(bad, 'connection.sampling_percent')).toEqual({
        ok: false,
        problems: ['connection.sampling_percent: must be a whole number from 1 to 100, the percentage of users whose data is forwarded'],
      });
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { Mpid } from '../../kernel/ids.ts';
import { LAST_ERRORS, RuleStats } from './rule-stats.ts';

const batch = { events: [], environment: 'production' as const, mpid: '1' as Mpid, user_identities: {}, user_attributes: {} };

describe('RuleStats', () => {
  it('counts runs, errors, timeouts and drops', () => {
    const stats = new RuleStats(() => Date.UTC(2026, 0, 2, 3, 4, 5));
    stats.record({ kind: 'ok', batch });
    stats.record({ kind: 'dropped' });
    stats.record({ kind: 'failed', reason: 'error', message: 'TypeError: x (line 3)' });
    stats.record({ kind: 'failed', reason: 'timeout', message: 'took longer than 200 ms' });
    stats.record({ kind: 'failed', reason: 'memory', message: 'exceeded the memory limit of 32 MB' });
    expect(stats.snapshot()).toEqual({
      runs: 5,
      errors: 2,
      timeouts: 1,
      dropped: 1,
      last_errors: [
        { at: '2026-01-02T03:04:05.000Z', message: 'TypeError: x (line 3)' },
        { at: '2026-01-02T03:04:05.000Z', message: 'timeout: took longer than 200 ms' },
        { at: '2026-01-02T03:04:05.000Z', message: 'memory: exceeded the memory limit of 32 MB' },
      ],
    });
  });

  it('keeps only the last errors, newest last', () => {
    let now = 0;
    const stats = new RuleStats(() => (now += 1000));
    for (let i = 1; i <= LAST_ERRORS + 5; i++) stats.record({ kind: 'failed', reason: 'error', message: `error ${i}` });
    const { errors, last_errors } = stats.snapshot();
    expect(errors).toBe(LAST_ERRORS + 5);
    expect(last_errors.map((e) => e.message)).toEqual(Array.from({ length: LAST_ERRORS }, (_, i) => `error ${i + 6}`));
    expect(last_errors.at(-1)!.at).toBe(new Date((LAST_ERRORS + 5) * 1000).toISOString());
  });

  it('hands out a snapshot the next runs do not change', () => {
    const stats = new RuleStats();
    const before = stats.snapshot();
    stats.record({ kind: 'failed', reason: 'error', message: 'x' });
    expect(before).toEqual({ runs: 0, errors: 0, timeouts: 0, dropped: 0, last_errors: [] });
  });
});

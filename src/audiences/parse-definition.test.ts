import { describe, expect, it } from 'vitest';
import { parseAudienceDefinition, type DefinitionContext } from './parse-definition.ts';

/** A workspace with audiences 1 (naming nothing) and 2 (naming 1). */
const context = (self: number | null = null): DefinitionContext => ({
  self,
  namedBy: (id) => ({ 1: [], 2: [1] } as Record<number, number[]>)[id],
});
const problemsOf = (raw: unknown, ctx = context()) => {
  const parsed = parseAudienceDefinition(raw, ctx);
  return parsed.ok ? [] : parsed.problems;
};

describe('parseAudienceDefinition', () => {
  it('normalises a tree of every node kind', () => {
    const parsed = parseAudienceDefinition(
      {
        and: [
          { event: { event_type: 'commerce_event', product_action: 'add_to_cart', count: { operator: 'at_least', value: 2 }, within: { value: 7, unit: 'days' } } },
          { not: { event: { event_type: 'commerce_event', product_action: 'purchase', within: { value: 7, unit: 'days' } } } },
          { or: [{ user_attribute: { name: 'tier', operator: 'equals', value: 'gold' } }, { calculated_attribute: { name: 'ltv', operator: 'greater_than', value: 100 } }] },
          { identity: { type: 'email', operator: 'exists' } },
          { audience: { id: 1, member: false } },
          { consent: { regulation: 'gdpr', purpose: 'marketing', consented: true } },
          { first_seen: { within: { value: 30, unit: 'days' } } },
          { device: { field: 'platform', operator: 'equals', value: 'iOS' } },
          { event: { event_type: 'custom_event', event_name: 'Play', custom_event_type: 'media', after: '2026-01-01', before: '2026-02-01' } },
        ],
      },
      context(),
    );
    expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
    if (!parsed.ok) return;
    const and = (parsed.definition as { and: unknown[] }).and;
    expect(and[0]).toEqual({
      event: {
        event_type: 'commerce_event',
        event_name: null,
        custom_event_type: null,
        product_action: 'add_to_cart',
        attributes: [],
        count: { operator: 'at_least', value: 2 },
        withinMs: 7 * 86_400_000,
        afterMs: null,
        beforeMs: null,
      },
    });
    expect(and[4]).toEqual({ audience: { id: 1, member: false } });
    expect((and[8] as { event: { afterMs: number; beforeMs: number } }).event).toMatchObject({ afterMs: Date.UTC(2026, 0, 1), beforeMs: Date.UTC(2026, 1, 1) });
  });

  it('names every problem by its path, all at once', () => {
    expect(
      problemsOf({
        or: [
          { bogus: {} },
          { event: { event_type: 'nope' } },
          { user_attribute: { name: 'age', operator: 'greater_than', value: 'old' } },
          { event: { event_type: 'custom_event', within: { value: 0, unit: 'days' } } },
        ],
      }),
    ).toEqual([
      expect.stringMatching(/^definition\.or\[0\]: unknown node kind "bogus"/),
      expect.stringMatching(/^definition\.or\[1\]\.event\.event_type: must be one of/),
      expect.stringMatching(/^definition\.or\[2\]\.user_attribute\.value: "greater_than" compares numbers/),
      expect.stringMatching(/^definition\.or\[3\]\.event\.within: must be/),
    ]);
  });

  it('refuses operators that do not fit their values, and impossible ranges', () => {
    expect(problemsOf({ user_attribute: { name: 'a', operator: 'between', value: [5, 1] } })).toEqual([expect.stringContaining('"between" needs [low, high]')]);
    expect(problemsOf({ user_attribute: { name: 'a', operator: 'before', value: 'soon' } })).toEqual([expect.stringContaining('needs a date')]);
    expect(problemsOf({ user_attribute: { name: 'a', operator: 'exists', value: 1 } })).toEqual([expect.stringContaining('takes no value')]);
    expect(problemsOf({ user_attribute: { operator: 'equals', value: 1 } })).toEqual([expect.stringContaining('.name: required')]);
    expect(problemsOf({ user_attribute: { name: 'a', operator: 'like', value: 1 } })).toEqual([expect.stringContaining('.operator: must be one of')]);
    expect(problemsOf({ event: { event_type: 'custom_event', after: '2026-02-01', before: '2026-01-01' } })).toEqual([expect.stringContaining('no event can be in that range')]);
    expect(problemsOf({ event: { event_type: 'screen_view', product_action: 'purchase' } })).toEqual([expect.stringContaining('only a commerce_event')]);
    expect(problemsOf({ event: { event_type: 'custom_event', count: { operator: 'at_least', value: 5000 } } })).toEqual([expect.stringContaining('from 0 to 1000')]);
    expect(problemsOf({ identity: { type: 'shoe_size', operator: 'exists' } })).toEqual([expect.stringContaining('identity type')]);
    expect(problemsOf({ and: [] })).toEqual([expect.stringContaining('non-empty array')]);
    expect(problemsOf({ and: [], or: [] })).toEqual([expect.stringContaining('exactly one of')]);
  });

  it('allows at most 100 conditions', () => {
    const leaf = { user_attribute: { name: 'a', operator: 'exists' } };
    expect(problemsOf({ and: Array.from({ length: 100 }, () => leaf) })).toEqual([]);
    expect(problemsOf({ and: Array.from({ length: 101 }, () => leaf) })).toEqual([expect.stringContaining('at most 100')]);
  });

  it('audience nodes name existing audiences of the workspace, never in a cycle', () => {
    expect(problemsOf({ audience: { id: 9 } })).toEqual(['definition: audience 9 does not exist in this workspace.']);
    expect(problemsOf({ audience: { id: 3 } }, context(3))).toEqual(['definition: audience 3 cannot name itself.']);
    // Audience 1 redefined to name 2, which names 1.
    expect(problemsOf({ audience: { id: 2 } }, context(1))).toEqual([expect.stringContaining('a cycle')]);
    expect(problemsOf({ audience: { id: 1 } }, context(2))).toEqual([]);
  });
});

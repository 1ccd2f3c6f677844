import { describe, expect, it } from 'vitest';
import type { BatchEvent } from '../model/batch.ts';
import type { EventTrack } from './audience-store.ts';
import type { AudienceNode } from './definition.ts';
import { evaluate, type UserFacts } from './evaluate.ts';
import { planTracks, trackEvent, trackKey } from './event-tracks.ts';
import { parseAudienceDefinition } from './parse-definition.ts';

const MIN = 60_000;
const T = Date.UTC(2026, 5, 1, 12);

const definitionOf = (raw: unknown): AudienceNode => {
  const parsed = parseAudienceDefinition(raw, { self: null, namedBy: () => [] });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.definition;
};
const custom = (name: string, attributes: Record<string, unknown> = {}): BatchEvent =>
  ({ event_type: 'custom_event', data: { event_name: name, custom_event_type: 'other', custom_attributes: attributes } }) as BatchEvent;
const cart = (action: string): BatchEvent => ({ event_type: 'commerce_event', data: { product_action: { action, products: [] } } }) as BatchEvent;

/** A user's facts after these events (each at its time), with an optional profile. */
function factsAfter(definition: AudienceNode, events: [BatchEvent, number][], extra: Partial<UserFacts> = {}): UserFacts & { tracks: Record<string, EventTrack> } {
  const owner = { id: 1, revision: 1, definition };
  const plan = planTracks([owner]);
  const tracks: Record<string, EventTrack> = {};
  for (const [event, at] of events) trackEvent(plan, tracks, event, at);
  return { tracks, track: (c) => tracks[trackKey(owner, c)], identities: {}, profile: undefined, calculated: {}, member: () => false, ...extra };
}

describe('evaluate', () => {
  it('"did X within 10 minutes": in at once, out ten minutes after the last X, and says when', () => {
    const def = definitionOf({ event: { event_type: 'custom_event', event_name: 'Play', within: { value: 10, unit: 'minutes' } } });
    const facts = factsAfter(def, [[custom('Play'), T], [custom('Play'), T + 3 * MIN], [custom('Pause'), T + 4 * MIN]]);
    expect(evaluate(def, facts, T + 5 * MIN)).toEqual({ member: true, untilMs: T + 3 * MIN + 10 * MIN + 1 });
    expect(evaluate(def, facts, T + 13 * MIN).member).toBe(true);
    expect(evaluate(def, facts, T + 13 * MIN + 1)).toEqual({ member: false, untilMs: Infinity });
  });

  it('counts at least, at most and exactly within a window, from the newest times only', () => {
    const events: [BatchEvent, number][] = [0, 1, 2, 3, 4].map((i) => [cart('add_to_cart'), T + i * MIN]);
    const at = (operator: string, value: number) =>
      definitionOf({ event: { event_type: 'commerce_event', product_action: 'add_to_cart', count: { operator, value }, within: { value: 150, unit: 'seconds' } } });
    const now = T + 4 * MIN + 1000; // the window holds the last three (2, 3 and 4 minutes)
    const verdict = (operator: string, value: number) => {
      const def = at(operator, value);
      return evaluate(def, factsAfter(def, events), now).member;
    };
    expect(verdict('at_least', 3)).toBe(true);
    expect(verdict('at_least', 4)).toBe(false);
    expect(verdict('at_most', 2)).toBe(false);
    expect(verdict('exactly', 3)).toBe(true);
    // The track keeps no more than the criterion needs.
    expect(Object.values(factsAfter(at('exactly', 3), events).tracks)).toEqual([{ n: 5, recent: [T + 4 * MIN, T + 3 * MIN, T + 2 * MIN, T + MIN] }]);
  });

  it('"added to cart and not bought" (the guide\'s exclude), with event attribute conditions', () => {
    const def = definitionOf({
      and: [
        { event: { event_type: 'commerce_event', product_action: 'add_to_cart' } },
        { not: { event: { event_type: 'commerce_event', product_action: 'purchase' } } },
        { event: { event_type: 'custom_event', event_name: 'Search', attributes: [{ name: 'Query', operator: 'contains', value: 'shoe' }] } },
      ],
    });
    const searched: [BatchEvent, number] = [custom('Search', { query: 'Red SHOES' }), T];
    expect(evaluate(def, factsAfter(def, [[cart('add_to_cart'), T], searched]), T).member).toBe(true);
    expect(evaluate(def, factsAfter(def, [[cart('add_to_cart'), T], searched, [cart('purchase'), T]]), T).member).toBe(false);
    expect(evaluate(def, factsAfter(def, [[cart('add_to_cart'), T], [custom('Search', { query: 'hats' }), T]]), T).member).toBe(false);
  });

  it('profile criteria: attributes, calculated values, identities, consent, device, first seen, other audiences', () => {
    const def = definitionOf({
      and: [
        { user_attribute: { name: 'Tier', operator: 'equals', value: 'GOLD' } },
        { calculated_attribute: { name: 'purchases_30d', operator: 'greater_than', value: 2 } },
        { identity: { type: 'email', operator: 'pattern', value: '*@example.com' } },
        { consent: { regulation: 'gdpr', purpose: 'marketing', consented: true } },
        { not: { consent: { regulation: 'ccpa', consented: true } } },
        { device: { field: 'platform', operator: 'equals', value: 'ios' } },
        { first_seen: { within: { value: 30, unit: 'days' } } },
        { audience: { id: 7, member: true } },
      ],
    });
    const facts = factsAfter(def, [], {
      identities: { email: 'Ana@Example.com' },
      calculated: { purchases_30d: '3' },
      member: (id) => id === 7,
      profile: {
        userAttributes: { tier: 'gold' },
        consentState: { gdpr: { marketing: { consented: true } }, ccpa: {} },
        deviceInfo: { platform: 'iOS' },
        firstSeenMs: T - 86_400_000,
        createdAtMs: T - 86_400_000,
      },
    });
    expect(evaluate(def, facts, T)).toEqual({ member: true, untilMs: T - 86_400_000 + 30 * 86_400_000 + 1 });
    expect(evaluate(def, { ...facts, member: () => false }, T).member).toBe(false);
    expect(evaluate(def, { ...facts, calculated: { purchases_30d: '2' } }, T).member).toBe(false);
    expect(evaluate(def, { ...facts, identities: {} }, T).member).toBe(false);
  });
});

describe('evaluate: when a recency verdict changes by itself', () => {
  const at = (operator: string, value: number) =>
    definitionOf({ event: { event_type: 'custom_event', event_name: 'Play', count: { operator, value }, within: { value: 10, unit: 'minutes' } } });
  // Plays at T, T+1m, T+2m; judged at T+2m.
  const plays: [BatchEvent, number][] = [0, 1, 2].map((i) => [custom('Play'), T + i * MIN]);
  const leaves = (i: number) => T + i * MIN + 10 * MIN + 1;

  it.each<[string, number, boolean, number]>([
    ['at_least', 2, true, leaves(1)],
    ['at_least', 4, false, Infinity],
    ['at_most', 1, false, leaves(1)],
    ['at_most', 3, true, Infinity],
    ['exactly', 3, true, leaves(0)],
    ['exactly', 2, false, leaves(0)],
    ['exactly', 4, false, Infinity],
  ])('%s %i: %s until the deciding play leaves', (operator, value, member, untilMs) => {
    const def = at(operator, value);
    const facts = factsAfter(def, plays);
    const verdict = evaluate(def, facts, T + 2 * MIN);
    expect(verdict).toEqual({ member, untilMs });
    // And at that moment, it has changed.
    if (Number.isFinite(untilMs)) expect(evaluate(def, facts, untilMs).member).toBe(!member);
  });
});

import type { Profile } from '../profiles/profile.ts';
import type { EventTrack } from './audience-store.ts';
import { patternOf, testCondition } from './conditions.ts';
import { type AudienceNode, DEVICE_INFO_KEYS, type DeviceField, type EventCriterion } from './definition.ts';
import { valueNamed } from './event-tracks.ts';

/** What a user's membership is decided on. */
export interface UserFacts {
  /** The user's track of an event criterion of this audience (`event-tracks.ts`). */
  readonly track: (criterion: EventCriterion) => EventTrack | undefined;
  /** User identities seen, by API name (`customer_id`, `email`, ...). */
  readonly identities: Readonly<Record<string, string>>;
  readonly profile: Pick<Profile, 'userAttributes' | 'consentState' | 'deviceInfo' | 'firstSeenMs' | 'createdAtMs'> | undefined;
  /** The user's calculated attribute values, by name. */
  readonly calculated: Readonly<Record<string, unknown>>;
  /** Whether the user is a member of another audience now. */
  readonly member: (audienceId: number) => boolean;
}

/** A verdict and how long it holds with no new data: until `untilMs` (a recency window moves), or Infinity. */
export interface Verdict {
  member: boolean;
  untilMs: number;
}

/**
 * Whether a user is in an audience at `nowMs`, by its definition, and until when that holds if
 * nothing else happens: a recency window (`within`) changes a verdict by itself when an event
 * leaves it, which `untilMs` gives, so the stage re-evaluates the user then (its due time) and at
 * no other time without data.
 */
export function evaluate(node: AudienceNode, facts: UserFacts, nowMs: number): Verdict {
  if ('and' in node || 'or' in node) {
    const children = 'and' in node ? node.and : node.or;
    const all = 'and' in node;
    let untilMs = Infinity;
    let member = all;
    for (const child of children) {
      const v = evaluate(child, facts, nowMs);
      untilMs = Math.min(untilMs, v.untilMs);
      member = all ? member && v.member : member || v.member;
    }
    return { member, untilMs };
  }
  if ('not' in node) {
    const v = evaluate(node.not, facts, nowMs);
    return { member: !v.member, untilMs: v.untilMs };
  }
  if ('event' in node) return evaluateEvent(node.event, facts.track(node.event), nowMs);
  if ('first_seen' in node) {
    const c = node.first_seen;
    const first = facts.profile ? (facts.profile.firstSeenMs ?? facts.profile.createdAtMs) : undefined;
    if (first === undefined) return { member: false, untilMs: Infinity };
    const inWindow = c.withinMs === null || nowMs - first <= c.withinMs;
    const member = inWindow && (c.afterMs === null || first >= c.afterMs) && (c.beforeMs === null || first < c.beforeMs);
    return { member, untilMs: c.withinMs !== null && inWindow ? first + c.withinMs + 1 : Infinity };
  }
  return { member: holds(node, facts), untilMs: Infinity };
}

/** A criterion that does not move with time. */
function holds(node: AudienceNode, facts: UserFacts): boolean {
  if ('user_attribute' in node) return testCondition(node.user_attribute, valueNamed(facts.profile?.userAttributes, node.user_attribute.name ?? ''));
  if ('calculated_attribute' in node) return testCondition(node.calculated_attribute, valueNamed(facts.calculated, node.calculated_attribute.name ?? ''));
  if ('audience' in node) return facts.member(node.audience.id) === node.audience.member;
  if ('identity' in node) {
    const { type, operator, value } = node.identity;
    const held = facts.identities[type];
    switch (operator) {
      case 'exists':
        return held !== undefined;
      case 'not_exists':
        return held === undefined;
      case 'equals':
        return held !== undefined && held.toLowerCase() === (value ?? '').toLowerCase();
      case 'contains':
        return held !== undefined && held.toLowerCase().includes((value ?? '').toLowerCase());
      default:
        return held !== undefined && patternOf(value ?? '').test(held);
    }
  }
  if ('consent' in node) {
    const c = node.consent;
    const consent = facts.profile?.consentState;
    // A user with no consent state recorded has not consented.
    if (c.regulation === 'ccpa') return consentedOf(consent?.ccpa.data_sale_opt_out) === c.consented;
    return consentedOf(valueNamed(consent?.gdpr, c.purpose)) === c.consented;
  }
  if ('device' in node) return testCondition(node.device, deviceField(facts.profile?.deviceInfo, node.device.field));
  throw new Error(`unhandled audience node ${JSON.stringify(node)}`);
}

const consentedOf = (state: unknown): boolean => typeof state === 'object' && state !== null && (state as { consented?: unknown }).consented === true;

/** A device criterion's field in the JSON reference's `device_info` ({@link DEVICE_INFO_KEYS}). */
function deviceField(info: Readonly<Record<string, unknown>> | null | undefined, field: DeviceField): unknown {
  if (!info) return undefined;
  for (const key of DEVICE_INFO_KEYS[field]) if (info[key] !== undefined && info[key] !== null) return info[key];
  return undefined;
}

/**
 * "Did the event, this often, this recently": the events in the window (all of them without one)
 * against the count. With a window the verdict changes by itself when the event that decides it
 * leaves the window (the newest times are kept, newest first): at least `v` holds until the `v`-th
 * newest leaves; more than `v` (at most, exactly) ends when the `v+1`-th leaves; exactly `v` ends
 * when the `v`-th does.
 */
export function evaluateEvent(c: EventCriterion, track: EventTrack | undefined, nowMs: number): Verdict {
  const { operator, value } = c.count;
  if (c.withinMs === null) {
    const events = track?.n ?? 0;
    return { member: operator === 'at_least' ? events >= value : operator === 'at_most' ? events <= value : events === value, untilMs: Infinity };
  }
  const recent = track?.recent ?? [];
  const from = nowMs - c.withinMs;
  let events = 0;
  while (events < recent.length && recent[events]! >= from) events += 1;
  const w = c.withinMs;
  switch (operator) {
    case 'at_least':
      return events >= value ? { member: true, untilMs: leaving(recent, events, value, w) } : { member: false, untilMs: Infinity };
    case 'at_most':
      return events <= value ? { member: true, untilMs: Infinity } : { member: false, untilMs: leaving(recent, events, value + 1, w) };
    default:
      if (events > value) return { member: false, untilMs: leaving(recent, events, value + 1, w) };
      return events === value ? { member: true, untilMs: leaving(recent, events, value, w) } : { member: false, untilMs: Infinity };
  }
}

/** The moment after the `k`-th newest of the `inWindow` events in the window leaves it (Infinity if there is no such event). */
function leaving(recent: readonly number[], inWindow: number, k: number, withinMs: number): number {
  return k >= 1 && k <= inWindow ? recent[k - 1]! + withinMs + 1 : Infinity;
}

import type { EventType } from '../model/event-types.ts';

/**
 * The vocabulary of an audience definition: Quanta's JSON form of mParticle's audience builder
 * (mParticle builds audiences only in its UI). A definition is a tree; every node is exactly one
 * of the kinds below. `parseAudienceDefinition` turns what a client sent into this form, or names
 * every problem by its path in the tree.
 */

/** The condition operators of the audience builder (the Real-time Audiences guide). */
export const AUDIENCE_OPERATORS = [
  'equals',
  'not_equals',
  'contains',
  'not_contains',
  'pattern',
  'exists',
  'not_exists',
  'greater_than',
  'less_than',
  'between',
  'includes',
  'not_includes',
  'partial_match',
  'before',
  'after',
  'on',
] as const;
export type AudienceOperator = (typeof AUDIENCE_OPERATORS)[number];

/** Operators that take no value. */
export const VALUELESS_OPERATORS: readonly AudienceOperator[] = ['exists', 'not_exists'];
/** Operators whose value is a pair `[low, high]` (numbers or dates). */
export const RANGE_OPERATORS: readonly AudienceOperator[] = ['between'];
/** Operators over a list value (a user attribute list). */
export const LIST_OPERATORS: readonly AudienceOperator[] = ['includes', 'not_includes', 'partial_match'];
/** Operators over a date. */
export const DATE_OPERATORS: readonly AudienceOperator[] = ['before', 'after', 'on'];
/** Operators over a number. */
export const NUMBER_OPERATORS: readonly AudienceOperator[] = ['greater_than', 'less_than'];

/** A value tested by a condition: a string, a number, a boolean, or a `between` pair. */
export type ConditionValue = string | number | boolean | readonly [string | number, string | number];

/** `{ name?, operator, value? }`: the value named (an event attribute, a user attribute...) tested by the operator. */
export interface Condition {
  readonly name: string | null;
  readonly operator: AudienceOperator;
  readonly value: ConditionValue | null;
}

export const COUNT_OPERATORS = ['at_least', 'at_most', 'exactly'] as const;
export type CountOperator = (typeof COUNT_OPERATORS)[number];

export const TIME_UNITS = { seconds: 1000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 } as const;
export type TimeUnit = keyof typeof TIME_UNITS;

/** "Did the event, this often, this recently": which events, and how they are counted. */
export interface EventCriterion {
  readonly event_type: EventType;
  readonly event_name: string | null;
  readonly custom_event_type: string | null;
  readonly product_action: string | null;
  readonly attributes: readonly Condition[];
  /** Default: at least once. */
  readonly count: { readonly operator: CountOperator; readonly value: number };
  /** The recency window, in ms (a day is 24 hours, as the guide says); null without one. */
  readonly withinMs: number | null;
  /** Event time at or after this instant (the start of the UTC day given: inclusive). */
  readonly afterMs: number | null;
  /** Event time before this instant (the start of the UTC day given: not inclusive). */
  readonly beforeMs: number | null;
}

export const CONSENT_REGULATIONS = ['gdpr', 'ccpa'] as const;
export type ConsentCriterion =
  | { readonly regulation: 'gdpr'; readonly purpose: string; readonly consented: boolean }
  | { readonly regulation: 'ccpa'; readonly consented: boolean };

export const IDENTITY_OPERATORS = ['exists', 'not_exists', 'equals', 'contains', 'pattern'] as const;
export type IdentityOperator = (typeof IDENTITY_OPERATORS)[number];

export const DEVICE_FIELDS = ['platform', 'os_version', 'brand', 'model', 'carrier'] as const;
export type DeviceField = (typeof DEVICE_FIELDS)[number];

/** Where a device criterion's field is in the JSON reference's `device_info`: the first of these keys with a value. */
export const DEVICE_INFO_KEYS: Readonly<Record<DeviceField, readonly string[]>> = {
  platform: ['platform'],
  os_version: ['os_version'],
  brand: ['brand', 'device_manufacturer'],
  model: ['device_model', 'product'],
  carrier: ['network_carrier'],
};

/** "Remove from wishlist" has two spellings; a criterion naming either matches both. */
export const WISHLIST_ACTIONS: readonly string[] = ['remove_from_wishlist', 'remove_from_wish_list'];

/** When the user was first seen: within the last N units, on or after a day, before a day. */
export interface FirstSeenCriterion {
  readonly withinMs: number | null;
  readonly afterMs: number | null;
  readonly beforeMs: number | null;
}

/** A node of the definition tree. */
export type AudienceNode =
  | { readonly and: readonly AudienceNode[] }
  | { readonly or: readonly AudienceNode[] }
  | { readonly not: AudienceNode }
  | { readonly event: EventCriterion }
  | { readonly user_attribute: Condition }
  | { readonly calculated_attribute: Condition }
  | { readonly identity: { readonly type: string; readonly operator: IdentityOperator; readonly value: string | null } }
  | { readonly audience: { readonly id: number; readonly member: boolean } }
  | { readonly consent: ConsentCriterion }
  | { readonly first_seen: FirstSeenCriterion }
  | { readonly device: { readonly field: DeviceField } & Omit<Condition, 'name'> };

export const NODE_KINDS = ['and', 'or', 'not', 'event', 'user_attribute', 'calculated_attribute', 'identity', 'audience', 'consent', 'first_seen', 'device'] as const;

/** Criteria (leaves) a definition may hold. */
export const MAX_CONDITIONS = 100;

/** Every leaf of a tree, depth first. */
export function leavesOf(node: AudienceNode): AudienceNode[] {
  if ('and' in node) return node.and.flatMap(leavesOf);
  if ('or' in node) return node.or.flatMap(leavesOf);
  if ('not' in node) return leavesOf(node.not);
  return [node];
}

/** The audiences a definition names (its `audience` nodes). */
export function audiencesNamed(node: AudienceNode): number[] {
  return leavesOf(node).flatMap((leaf) => ('audience' in leaf ? [leaf.audience.id] : []));
}

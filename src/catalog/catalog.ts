/**
 * The Catalog's vocabulary: every data point (event kind, user attributes, user identities) a
 * workspace has sent, with what was seen of it and of each of its attributes. A point's
 * statistics over some records (a delta) and over all of them (the total) have the same shape,
 * and {@link mergePoint} combines either, in any order.
 */
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import { ENVIRONMENTS, type Environment } from '../model/event-types.ts';
import { type DataPlanMatch, type DataPlanMatchType, MATCH_TYPES } from '../planning/data-plan.ts';

/** The types the Catalog detects for an attribute value (mParticle's list). */
export const ATTRIBUTE_TYPES = ['string', 'string-list', 'boolean', 'number', 'date-time'] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

/** The groups of the Catalog's list view. */
export const CATALOG_CATEGORIES = [
  'custom_events',
  'screen_views',
  'commerce',
  'user_information',
  'application_lifecycle',
  'other',
] as const;
export type CatalogCategory = (typeof CATALOG_CATEGORIES)[number];

/**
 * Event types no data plan point can describe (`eventMatch` gives them no match): the Catalog
 * lists them under their event type, never covered by a plan.
 */
export const UNPLANNABLE_TYPES = [
  'commerce_event',
  'pre_attribution',
  'push_registration',
  'push_message',
  'push_reaction',
  'profile',
  'user_attribute_change',
  'user_identity_change',
] as const;
export type UnplannableType = (typeof UNPLANNABLE_TYPES)[number];

export type CatalogPointType = DataPlanMatchType | UnplannableType;
export const CATALOG_POINT_TYPES: readonly CatalogPointType[] = [...MATCH_TYPES, ...UNPLANNABLE_TYPES];

/** Where a data point is in a batch: a plan's `match`, or the event type of an unplannable event. */
export type CatalogMatch = DataPlanMatch | { type: UnplannableType };

/** An example value as kept: strings cut to {@link EXAMPLE_LENGTH}, lists to {@link EXAMPLE_LIST_LENGTH} entries. */
export type ExampleValue = string | number | boolean | string[];

export const MAX_EXAMPLES = 3;
export const EXAMPLE_LENGTH = 100;
export const EXAMPLE_LIST_LENGTH = 10;

export interface CatalogAttribute {
  name: string;
  count: number;
  firstSeenMs: number;
  lastSeenMs: number;
  /** In {@link ATTRIBUTE_TYPES} order; empty when only nulls (or values of no known type) were seen. */
  types: AttributeType[];
  /** Up to {@link MAX_EXAMPLES} distinct values, the first seen first. */
  examples: ExampleValue[];
  /**
   * A delta's only: the MPID of the user whose record gave each example, in the order of
   * `examples`. The store keeps them beside the totals, so that erasing a user removes the
   * examples the user gave; totals it reads back never carry them (the Catalog describes data,
   * not users). Absent when the delta has no examples.
   */
  exampleSources?: Mpid[];
}

export interface CatalogPoint {
  workspaceId: WorkspaceId;
  /** The point's identity: `matchKey(match)`, or the event type of an unplannable event. */
  key: string;
  match: CatalogMatch;
  category: CatalogCategory;
  name: string;
  count: number;
  firstSeenMs: number;
  lastSeenMs: number;
  /** In {@link ENVIRONMENTS} order. */
  environments: Environment[];
  /** By name. */
  attributes: CatalogAttribute[];
  /** What the point is, as the source that sends it documents it (a partner feed's contract); absent when none did. */
  description?: string;
}

export function isPlannable(match: CatalogMatch): match is DataPlanMatch {
  return !(UNPLANNABLE_TYPES as readonly string[]).includes(match.type);
}

/** The list-view group of a data point, as mParticle's Catalog groups them. */
export function categoryOf(type: CatalogPointType): CatalogCategory {
  switch (type) {
    case 'custom_event':
      return 'custom_events';
    case 'screen_view':
      return 'screen_views';
    case 'product_action':
    case 'promotion_action':
    case 'product_impression':
    case 'commerce_event':
      return 'commerce';
    case 'user_attributes':
    case 'user_identities':
    case 'user_attribute_change':
    case 'user_identity_change':
    case 'profile':
    case 'opt_out':
      return 'user_information';
    case 'session_start':
    case 'session_end':
    case 'application_state_transition':
    case 'first_run':
    case 'uninstall':
    case 'crash_report':
      return 'application_lifecycle';
    case 'network_performance':
    case 'breadcrumb':
    case 'pre_attribution':
    case 'push_registration':
    case 'push_message':
    case 'push_reaction':
      return 'other';
    default: {
      const unreachable: never = type;
      throw new Error(`unknown data point type ${String(unreachable)}`);
    }
  }
}

/** A point's display name: the event or screen name, else its key (`product_action:purchase`, `session_start`). */
export function pointName(match: CatalogMatch, key: string): string {
  if (match.type === 'custom_event') return match.criteria.event_name;
  if (match.type === 'screen_view') return match.criteria.screen_name;
  return key;
}

/** Whether two examples are the same value (lists: the same strings in the same order). */
export const sameExample = (a: ExampleValue, b: ExampleValue): boolean =>
  a === b || (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => v === b[i]));

/** Appends `value` unless it is already there or the list is full; whether it was added. */
export function addExample(examples: ExampleValue[], value: ExampleValue): boolean {
  if (examples.length >= MAX_EXAMPLES) return false;
  for (const e of examples) if (sameExample(e, value)) return false;
  examples.push(value);
  return true;
}

function union<T>(order: readonly T[], a: readonly T[], b: readonly T[]): T[] {
  return order.filter((v) => a.includes(v) || b.includes(v));
}

export function mergeAttribute(a: CatalogAttribute, b: CatalogAttribute): CatalogAttribute {
  const examples = [...a.examples];
  for (const e of b.examples) addExample(examples, e);
  return {
    name: a.name,
    count: a.count + b.count,
    firstSeenMs: Math.min(a.firstSeenMs, b.firstSeenMs),
    lastSeenMs: Math.max(a.lastSeenMs, b.lastSeenMs),
    types: union(ATTRIBUTE_TYPES, a.types, b.types),
    examples,
  };
}

/**
 * The statistics of `a` and `b` together (same workspace and key). `a`'s match, name and
 * category stay; examples keep `a`'s first; the description is `b`'s when it has one (the one
 * documented last), else `a`'s.
 */
export function mergePoint(a: CatalogPoint, b: CatalogPoint): CatalogPoint {
  const attributes = new Map(a.attributes.map((x) => [x.name, x]));
  for (const x of b.attributes) {
    const known = attributes.get(x.name);
    attributes.set(x.name, known ? mergeAttribute(known, x) : x);
  }
  const description = b.description ?? a.description;
  return {
    ...a,
    ...(description !== undefined ? { description } : {}),
    count: a.count + b.count,
    firstSeenMs: Math.min(a.firstSeenMs, b.firstSeenMs),
    lastSeenMs: Math.max(a.lastSeenMs, b.lastSeenMs),
    environments: union(ENVIRONMENTS, a.environments, b.environments),
    attributes: [...attributes.values()].sort((x, y) => compareText(x.name, y.name)),
  };
}

/** UTF-16 code-unit order: the same on every machine, whatever its locale. */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

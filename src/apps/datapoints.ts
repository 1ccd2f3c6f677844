/**
 * mParticle's DataPoints (Platform API v1): each data item a platform's data has shown, typed as
 * v1 types them (`Event`, `EventAttribute`, `ScreenView`, `Commerce`, `UserAttribute`,
 * `Identity`...), and how each maps onto the catalog's points and the data filter's
 * (`connections/forwarding/filter.ts`). The catalog keeps a workspace's points, not an input's:
 * an app's data points are those of its workspace. Event and attribute names are as sent; a
 * commerce point is named by its event type (`product_purchase`); an identity by its v1 name
 * (`CustomerId`, `Email`, `OtherId2`).
 */
import type { CatalogPoint } from '../catalog/catalog.ts';
import { COMMERCE_EVENT_NAMES, commerceNameOf } from '../connections/forwarding/event-names.ts';
import { CUSTOM_EVENT_TYPES, EVENT_TYPES } from '../model/event-types.ts';
import { USER_IDENTITY_TYPES, type UserIdentityType } from '../model/identity-types.ts';

/** The types a DataPoint is of. */
export const DATAPOINT_TYPES = ['Event', 'EventAttribute', 'UserAttribute', 'ScreenView', 'ScreenViewAttribute', 'Identity', 'Commerce', 'CommerceAttribute'] as const;
/** The types a DataPoint filter may be of: the DataPoints' (an identity is a `UserIdentity` there) and whole event types. */
export const FILTER_TYPES = ['Event', 'EventAttribute', 'UserAttribute', 'EventType', 'ScreenView', 'ScreenViewAttribute', 'UserIdentity', 'Commerce', 'CommerceAttribute'] as const;
/** Filter types mParticle has that Quanta's data filter does not: every user attribute at once. */
export const UNSUPPORTED_FILTER_TYPES = ['All_User_Attributes', 'All_Workspace_User_Attributes', 'All_Account_User_Attributes'] as const;

export type DataPointType = (typeof DATAPOINT_TYPES)[number];
export type FilterType = (typeof FILTER_TYPES)[number];

/** One DataPoint (or DataPoint filter) as v1 names it. */
export interface V1DataPoint {
  readonly name: string;
  /** A `*Attribute` point's attribute; its parent is `name`. */
  readonly attribute_name: string | null;
  readonly type: DataPointType | FilterType;
  /** An event's custom event type, a commerce point's commerce event; null for the others. */
  readonly event_type: string | null;
}

const ATTRIBUTE_TYPES: readonly string[] = ['EventAttribute', 'ScreenViewAttribute', 'CommerceAttribute'];
export const isAttributeType = (type: string) => ATTRIBUTE_TYPES.includes(type);
const isEventType = (type: string) => type === 'Event' || type === 'EventAttribute';
const isCommerceType = (type: string) => type === 'Commerce' || type === 'CommerceAttribute';

/** `other_id_2` → `OtherId2`, `customer_id` → `CustomerId`. */
export const v1IdentityName = (type: string) => type.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
/** A v1 identity name (`CustomerId`, any case) or Quanta's (`customer_id`) as Quanta's; undefined for neither. */
export const identityTypeOf = (name: string): UserIdentityType | undefined =>
  USER_IDENTITY_TYPES.find((t) => t === name || v1IdentityName(t).toLowerCase() === name.toLowerCase());

/** What the catalog has seen, as DataPoints with when each was first seen; points v1 has no type for (sessions, crashes...) are left out. */
export function catalogDataPoints(points: readonly CatalogPoint[]): (V1DataPoint & { createdAtMs: number })[] {
  const out: (V1DataPoint & { createdAtMs: number })[] = [];
  for (const p of points) {
    const attributes = (type: DataPointType, name: string, eventType: string | null) =>
      p.attributes.forEach((a) => out.push({ name, attribute_name: a.name, type, event_type: eventType, createdAtMs: a.firstSeenMs }));
    const m = p.match;
    const point = (type: DataPointType, name: string, eventType: string | null) => out.push({ name, attribute_name: null, type, event_type: eventType, createdAtMs: p.firstSeenMs });
    switch (m.type) {
      case 'custom_event':
        point('Event', m.criteria.event_name, m.criteria.custom_event_type);
        attributes('EventAttribute', m.criteria.event_name, m.criteria.custom_event_type);
        break;
      case 'screen_view':
        point('ScreenView', m.criteria.screen_name, null);
        attributes('ScreenViewAttribute', m.criteria.screen_name, null);
        break;
      case 'product_action':
      case 'promotion_action':
      case 'product_impression': {
        const name = m.type === 'product_impression' ? 'product_impression' : `${m.type === 'product_action' ? 'product' : 'promotion'}_${(m.criteria as { action: string }).action}`;
        const commerce = commerceNameOf(name) ?? name;
        point('Commerce', commerce, commerce);
        attributes('CommerceAttribute', commerce, commerce);
        break;
      }
      case 'user_attributes':
        p.attributes.forEach((a) => out.push({ name: a.name, attribute_name: null, type: 'UserAttribute', event_type: null, createdAtMs: a.firstSeenMs }));
        break;
      case 'user_identities':
        p.attributes.forEach((a) => out.push({ name: v1IdentityName(a.name), attribute_name: null, type: 'Identity', event_type: null, createdAtMs: a.firstSeenMs }));
        break;
      default:
        break;
    }
  }
  return out;
}

/** What makes two DataPoints one. */
export const dataPointKey = (p: V1DataPoint) => JSON.stringify([p.type === 'UserIdentity' ? 'Identity' : p.type, p.name, p.attribute_name, p.event_type]);

const quoted = (values: readonly string[]) => values.map((v) => `"${v}"`).join(', ');
const oneOf = (values: readonly string[], text: unknown) => (typeof text === 'string' ? values.find((v) => v.toLowerCase() === text.toLowerCase()) : undefined);
const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * One DataPoint (`filter`: DataPoint filter) of a v1 body, checked and in v1's spellings: its type
 * by any case (`event`, `eventattribute`), an event's `event_type` required (a custom event type),
 * a commerce point's one of the commerce events (which is its name, whatever it sends), an attribute
 * point's `attribute_name` required, an identity's name a user identity type; `event_type` is
 * dropped where it does not apply, as mParticle ignores it there. A problem for each field wrong.
 */
export function parseDataPoint(raw: unknown, at: string, filter: boolean, problems: string[]): V1DataPoint | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${at}: must be an object {"name", "type", ...}.`);
    return undefined;
  }
  const r = raw as Record<string, unknown>;
  const types: readonly string[] = filter ? FILTER_TYPES : DATAPOINT_TYPES;
  if (filter && oneOf(UNSUPPORTED_FILTER_TYPES, r.type)) {
    problems.push(`${at}.type: ${JSON.stringify(r.type)} is not supported: Quanta's data filter switches user attributes one by one; list each as a "UserAttribute".`);
    return undefined;
  }
  const type = oneOf(types, r.type) as DataPointType | FilterType | undefined;
  if (!type) {
    problems.push(`${at}.type: ${JSON.stringify(r.type ?? null)} is not a ${filter ? 'DataPoint filter' : 'DataPoint'} type; use one of ${quoted(types)}.`);
    return undefined;
  }
  const before = problems.length;
  let name = text(r.name);
  let eventType: string | null = null;
  if (isEventType(type)) {
    eventType = oneOf(CUSTOM_EVENT_TYPES, r.event_type) ?? null;
    if (!eventType) problems.push(`${at}.event_type: required for ${type}, one of ${quoted(CUSTOM_EVENT_TYPES)}.`);
  } else if (isCommerceType(type)) {
    eventType = typeof r.event_type === 'string' ? (commerceNameOf(r.event_type.toLowerCase()) ?? null) : null;
    if (!eventType) problems.push(`${at}.event_type: required for ${type}, one of ${quoted(COMMERCE_EVENT_NAMES)}.`);
    // The filter knows a commerce event by its action alone: that is its name.
    if (eventType) name = eventType;
  }
  if (type === 'EventType') {
    const scope = oneOf([...CUSTOM_EVENT_TYPES, ...EVENT_TYPES], r.name);
    if (!scope) problems.push(`${at}.name: an EventType filter names an event type, one of ${quoted([...CUSTOM_EVENT_TYPES, ...EVENT_TYPES])}.`);
    name = scope;
  } else if (type === 'Identity' || type === 'UserIdentity') {
    const identity = name === undefined ? undefined : identityTypeOf(name);
    if (!identity) problems.push(`${at}.name: ${JSON.stringify(r.name ?? null)} is not a user identity type; use one of ${quoted(USER_IDENTITY_TYPES.map(v1IdentityName))}.`);
    name = identity && v1IdentityName(identity);
  } else if (name === undefined) problems.push(`${at}.name: required, the ${isAttributeType(type) ? "parent's" : "data point's"} name.`);
  const attribute = isAttributeType(type) ? text(r.attribute_name) : undefined;
  if (isAttributeType(type) && attribute === undefined) problems.push(`${at}.attribute_name: required for ${type}, the attribute's name.`);
  if (problems.length > before || name === undefined) return undefined;
  return { name, attribute_name: attribute ?? null, type, event_type: eventType };
}

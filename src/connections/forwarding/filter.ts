/**
 * A connection's data filter (mParticle's Data Filter): which data points — events, event
 * attributes, user attributes, user identities — an output receives. Each listed data point is
 * switched on or off; one not listed is a new data point and follows
 * `send_new_data_points_by_default` (true unless set).
 *
 * Events are filtered at three levels, as mParticle's guide has them, from the most general:
 * - the event type: `{"type": "event", "event_type": "session_start", "enabled": false}` (an
 *   `event_type` and no `name`) switches every event of the type;
 * - the event: `{"type": "event", "event_type": "screen_view", "name": "Home", "enabled": false}`;
 * - its attributes: `{"type": "event_attribute", "event_type": "custom_event", "event_name":
 *   "Play", "name": "song", "enabled": false}` removes `song` from the `custom_attributes` of
 *   `Play` events. The event an attribute belongs to is named in `event_name` (as an event data
 *   point names it in `name`); `name` is the attribute's.
 *
 * A data point forwards when it is enabled (not listed: the default) and no listed data point
 * above it is off: switching an event type off removes its events and their attributes, switching
 * it on forwards nothing by itself (with `send_new_data_points_by_default: false`, list each event
 * and attribute to forward, as mParticle creates new data points switched off).
 *
 * `event_type` (`custom_event` when left out) is an Events API event type, or a custom event type
 * for the custom events of that type only (a point under `custom_event` covers every custom event
 * type); `event-names.ts` says what names an event of each (`Play`, `Home`, `product_purchase`).
 *
 * Names match exactly, case included. A filtered-out user attribute or identity is also removed
 * where it would still show: `deleted_user_attributes`, and the `user_attribute_change` and
 * `user_identity_change` events about it.
 */
import { fromApiName } from '../../identity/identity-types.ts';
import type { Batch, BatchEvent } from '../../model/batch.ts';
import { CUSTOM_EVENT_TYPES, EVENT_TYPES, type EventType } from '../../model/event-types.ts';
import { normalizeIdentityType, USER_IDENTITY_TYPES, type UserIdentityType } from '../../model/identity-types.ts';
import type { Parsed, Problem } from '../stream-batch.ts';
import { COMMERCE_EVENT_NAMES, commerceNameOf, FILTER_EVENT_TYPES, type FilterEventType, filterNameOf, namingOf } from './event-names.ts';
import { checkFields, isObject, nonEmpty, quoted } from './json-fields.ts';

export const DATA_POINT_TYPES = ['event', 'event_attribute', 'user_attribute', 'user_identity'] as const;
export type DataPointType = (typeof DATA_POINT_TYPES)[number];

export type DataPoint =
  | { readonly type: 'event'; readonly event_type: FilterEventType; readonly name?: string; readonly enabled: boolean }
  | { readonly type: 'event_attribute'; readonly event_type: FilterEventType; readonly event_name?: string; readonly name: string; readonly enabled: boolean }
  | { readonly type: 'user_attribute'; readonly name: string; readonly enabled: boolean }
  | { readonly type: 'user_identity'; readonly name: UserIdentityType; readonly enabled: boolean };

export interface ConnectionFilter {
  readonly send_new_data_points_by_default: boolean;
  readonly data_points: readonly DataPoint[];
}

/** No filter: every data point forwards. */
export const FORWARD_EVERYTHING: ConnectionFilter = Object.freeze({ send_new_data_points_by_default: true, data_points: [] });

/** `event_type` of an event or event attribute point; `custom_event` when left out. */
function parseEventType(raw: unknown, path: string, problems: Problem[]): FilterEventType | undefined {
  if (raw === undefined) return 'custom_event';
  if (typeof raw === 'string' && FILTER_EVENT_TYPES.includes(raw)) return raw as FilterEventType;
  problems.push(`${path}: ${JSON.stringify(raw)} is not an event type; expected an Events API event type (${quoted(EVENT_TYPES)}) or a custom event type (${quoted(CUSTOM_EVENT_TYPES)})`);
  return undefined;
}

/** The name of an event of `scope`, normalised (the wishlist spellings); undefined with a problem when it cannot be one. */
function parseEventName(raw: unknown, scope: FilterEventType, path: string, problems: Problem[]): string | undefined {
  const name = nonEmpty(raw);
  if (name === undefined) {
    problems.push(`${path}: must be a non-empty string, the event's name`);
    return undefined;
  }
  if (namingOf(scope) === 'commerce_action') {
    const normal = commerceNameOf(name);
    if (normal !== undefined) return normal;
    problems.push(`${path}: ${JSON.stringify(name)} is not a commerce event name; expected one of ${quoted(COMMERCE_EVENT_NAMES)}`);
    return undefined;
  }
  return name;
}

const nameless = (scope: FilterEventType, field: string) =>
  `${scope} events have no name; leave ${field} out (the event type alone is the data point)`;

function parseEventPoint(raw: Record<string, unknown>, enabled: boolean, path: string, problems: Problem[]): DataPoint | undefined {
  checkFields(raw, ['type', 'event_type', 'name', 'enabled'], path, 'an event data point', problems);
  const scope = parseEventType(raw.event_type, `${path}.event_type`, problems);
  if (scope === undefined) return undefined;
  if (raw.name === undefined) {
    if (raw.event_type !== undefined) return { type: 'event', event_type: scope, enabled };
    problems.push(`${path}.name: required, the event's name (or an event_type alone, for every event of the type)`);
    return undefined;
  }
  if (namingOf(scope) === null) {
    problems.push(`${path}.name: ${nameless(scope, 'name')}`);
    return undefined;
  }
  const name = parseEventName(raw.name, scope, `${path}.name`, problems);
  return name === undefined ? undefined : { type: 'event', event_type: scope, name, enabled };
}

function parseEventAttributePoint(raw: Record<string, unknown>, enabled: boolean, path: string, problems: Problem[]): DataPoint | undefined {
  checkFields(raw, ['type', 'event_type', 'event_name', 'name', 'enabled'], path, 'an event_attribute data point', problems);
  const name = nonEmpty(raw.name);
  if (name === undefined) problems.push(`${path}.name: required, the attribute's name`);
  const scope = parseEventType(raw.event_type, `${path}.event_type`, problems);
  if (scope === undefined || name === undefined) return undefined;
  if (namingOf(scope) === null) {
    if (raw.event_name === undefined) return { type: 'event_attribute', event_type: scope, name, enabled };
    problems.push(`${path}.event_name: ${nameless(scope, 'event_name')}`);
    return undefined;
  }
  if (raw.event_name === undefined) {
    problems.push(`${path}.event_name: required, the name of the event the attribute belongs to`);
    return undefined;
  }
  const eventName = parseEventName(raw.event_name, scope, `${path}.event_name`, problems);
  return eventName === undefined ? undefined : { type: 'event_attribute', event_type: scope, event_name: eventName, name, enabled };
}

function parseIdentityPoint(raw: Record<string, unknown>, enabled: boolean, path: string, problems: Problem[]): DataPoint | undefined {
  checkFields(raw, ['type', 'name', 'enabled'], path, 'a user_identity data point', problems);
  const name = nonEmpty(raw.name);
  const type = name === undefined ? undefined : fromApiName(name);
  if (type !== undefined && (USER_IDENTITY_TYPES as readonly string[]).includes(type)) return { type: 'user_identity', name: type as UserIdentityType, enabled };
  const expected = `expected one of ${quoted(USER_IDENTITY_TYPES)}`;
  if (name === undefined) problems.push(`${path}.name: required, the identity type; ${expected}`);
  else if (type !== undefined) problems.push(`${path}.name: ${JSON.stringify(name)} is a device identity; the data filter applies to user identities, ${expected}`);
  else problems.push(`${path}.name: ${JSON.stringify(name)} is not an identity type; ${expected}`);
  return undefined;
}

function parseDataPoint(raw: unknown, path: string, problems: Problem[]): DataPoint | undefined {
  if (!isObject(raw)) {
    problems.push(`${path}: must be an object {"type", "name", "enabled", ...}`);
    return undefined;
  }
  const enabled = raw.enabled;
  if (typeof enabled !== 'boolean') problems.push(`${path}.enabled: required, true or false`);
  if (!(DATA_POINT_TYPES as readonly unknown[]).includes(raw.type)) {
    problems.push(`${path}.type: must be one of ${quoted(DATA_POINT_TYPES)}`);
    return undefined;
  }
  const type = raw.type as DataPointType;
  let point: DataPoint | undefined;
  switch (type) {
    case 'event':
      point = parseEventPoint(raw, enabled === true, path, problems);
      break;
    case 'event_attribute':
      point = parseEventAttributePoint(raw, enabled === true, path, problems);
      break;
    case 'user_attribute': {
      checkFields(raw, ['type', 'name', 'enabled'], path, 'a user_attribute data point', problems);
      const name = nonEmpty(raw.name);
      if (name === undefined) problems.push(`${path}.name: required, the data point's name`);
      else point = { type, name, enabled: enabled === true };
      break;
    }
    case 'user_identity':
      point = parseIdentityPoint(raw, enabled === true, path, problems);
      break;
    default: {
      const unreachable: never = type;
      throw new Error(`unknown data point type ${String(unreachable)}`);
    }
  }
  return typeof enabled === 'boolean' ? point : undefined;
}

/** What makes two data points the same one. */
function pointKey(p: DataPoint): string {
  switch (p.type) {
    case 'event':
      return JSON.stringify([p.type, p.event_type, p.name ?? null]);
    case 'event_attribute':
      return JSON.stringify([p.type, p.event_type, p.event_name ?? null, p.name]);
    case 'user_attribute':
    case 'user_identity':
      return JSON.stringify([p.type, p.name]);
  }
}

/**
 * Checks a connection's `filter` and normalises it (`event_type` defaulted, identity and
 * commerce names in one spelling). Every problem is named by its path
 * (`filter.data_points[2].name: required, the data point's name`); a data point listed twice is
 * one. No filter (undefined, null, `{}`) forwards everything.
 *
 * @example
 *   parseFilter({ data_points: [{ type: 'user_identity', name: 'email', enabled: false }] })
 *   // { ok: true, value: { send_new_data_points_by_default: true, data_points: [...] } }
 */
export function parseFilter(raw: unknown, path = 'filter'): Parsed<ConnectionFilter> {
  if (raw === undefined || raw === null) return { ok: true, value: FORWARD_EVERYTHING };
  if (!isObject(raw)) return { ok: false, problems: [`${path}: must be an object {"send_new_data_points_by_default": true | false, "data_points": [...]}`] };
  const problems: Problem[] = [];
  checkFields(raw, ['send_new_data_points_by_default', 'data_points'], path, 'a filter', problems);
  const byDefault = raw.send_new_data_points_by_default ?? true;
  if (typeof byDefault !== 'boolean') problems.push(`${path}.send_new_data_points_by_default: must be true or false`);
  const raws = raw.data_points ?? [];
  if (!Array.isArray(raws)) problems.push(`${path}.data_points: must be an array of data points`);
  const points: DataPoint[] = [];
  const seen = new Map<string, number>();
  (Array.isArray(raws) ? raws : []).forEach((rawPoint: unknown, i) => {
    const at = `${path}.data_points[${i}]`;
    const point = parseDataPoint(rawPoint, at, problems);
    if (!point) return;
    const key = pointKey(point);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else problems.push(`${at}: the same data point as ${path}.data_points[${first}]`);
    points.push(point);
  });
  if (problems.length > 0 || typeof byDefault !== 'boolean') return { ok: false, problems };
  return { ok: true, value: { send_new_data_points_by_default: byDefault, data_points: points } };
}

/** The filter as lookups: each listed data point's `enabled`, by where it sits. */
interface Lookups {
  readonly byDefault: boolean;
  /** Event type points: scope (event type or custom event type) → enabled. */
  readonly types: Map<string, boolean>;
  /** Event points: scope → event name → enabled. */
  readonly names: Map<string, Map<string, boolean>>;
  /** Event attribute points: scope → event name (`''` for nameless types) → attribute → enabled. */
  readonly attributes: Map<string, Map<string, Map<string, boolean>>>;
  readonly userAttributes: Map<string, boolean>;
  readonly identities: Map<string, boolean>;
}

function child<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}

function lookupsOf(filter: ConnectionFilter): Lookups {
  const l: Lookups = { byDefault: filter.send_new_data_points_by_default, types: new Map(), names: new Map(), attributes: new Map(), userAttributes: new Map(), identities: new Map() };
  for (const p of filter.data_points) {
    switch (p.type) {
      case 'event':
        if (p.name === undefined) l.types.set(p.event_type, p.enabled);
        else child(l.names, p.event_type, () => new Map<string, boolean>()).set(p.name, p.enabled);
        break;
      case 'event_attribute':
        child(child(l.attributes, p.event_type, () => new Map<string, Map<string, boolean>>()), p.event_name ?? '', () => new Map<string, boolean>()).set(p.name, p.enabled);
        break;
      case 'user_attribute':
        l.userAttributes.set(p.name, p.enabled);
        break;
      case 'user_identity':
        l.identities.set(p.name, p.enabled);
        break;
    }
  }
  return l;
}

/** A point listed under both an event's type and its custom event type: either off is off, either on is on; neither listed, the default. */
const decide = (a: boolean | undefined, b: boolean | undefined, byDefault: boolean): boolean =>
  a === false || b === false ? false : a === true || b === true ? true : byDefault;

/** The bag without the keys `keep` refuses; the bag itself when it keeps them all. */
function keptEntries<T extends object>(bag: T, keep: (key: string) => boolean): T {
  const keys = Object.keys(bag);
  if (keys.every(keep)) return bag;
  return Object.fromEntries(Object.entries(bag).filter(([key]) => keep(key))) as T;
}

const identityKept = (l: Lookups, type: unknown): boolean =>
  typeof type !== 'string' || (l.identities.get(normalizeIdentityType(type) ?? type) ?? l.byDefault);
const userAttributeKept = (l: Lookups, name: unknown): boolean => typeof name !== 'string' || (l.userAttributes.get(name) ?? l.byDefault);
const changedIdentityOf = (v: unknown): unknown => (isObject(v) ? v.identity_type : undefined);

/** Whether the event itself forwards: no listed type above it is off, and its own point (its type, for a nameless one) is on. */
function eventKept(l: Lookups, type: EventType, custom: string | undefined, name: string | null): boolean {
  const byType = l.types.get(type);
  if (byType === false || (custom !== undefined && l.types.get(custom) === false)) return false;
  if (name === null) return byType ?? l.byDefault;
  return decide(l.names.get(type)?.get(name), custom === undefined ? undefined : l.names.get(custom)?.get(name), l.byDefault);
}

/** The event with its filtered-out attributes removed, the event itself when none is, or null when the event is filtered out. */
function filterEvent(l: Lookups, event: BatchEvent): BatchEvent | null {
  const { event_type: type, data } = event;
  const custom = type === 'custom_event' ? nonEmpty(data.custom_event_type) : undefined;
  const name = filterNameOf(event);
  if (!eventKept(l, type, custom, name)) return null;
  if (type === 'user_attribute_change' && !userAttributeKept(l, data.user_attribute_name)) return null;
  if (type === 'user_identity_change' && !(identityKept(l, changedIdentityOf(data.new)) && identityKept(l, changedIdentityOf(data.old)))) return null;

  const attributes = data.custom_attributes;
  if (!attributes) return event;
  const own = l.attributes.get(type)?.get(name ?? '');
  const byCustom = custom === undefined ? undefined : l.attributes.get(custom)?.get(name ?? '');
  if (l.byDefault && own === undefined && byCustom === undefined) return event;
  const kept = keptEntries(attributes, (key) => decide(own?.get(key), byCustom?.get(key), l.byDefault));
  return kept === attributes ? event : { ...event, data: { ...data, custom_attributes: kept } };
}

function filterEvents(l: Lookups, events: BatchEvent[]): BatchEvent[] {
  let out: BatchEvent[] | undefined;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    const kept = filterEvent(l, event);
    if (kept !== event && out === undefined) out = events.slice(0, i);
    if (out !== undefined && kept !== null) out.push(kept);
  }
  return out ?? events;
}

/**
 * Compiles a filter once into the function a connection runs on every batch: lookups by scope,
 * event name and attribute, so a batch costs a few map reads per event. The function never changes
 * its input (a batch is shared by every connection): it returns a new batch, sharing with the
 * input what it leaves as it was.
 *
 * @example
 *   const filter = compileFilter({ send_new_data_points_by_default: true, data_points: [{ type: 'user_attribute', name: 'ssn', enabled: false }] });
 *   filter(batch).user_attributes // batch.user_attributes without `ssn`
 */
export function compileFilter(filter: ConnectionFilter): (batch: Batch) => Batch {
  if (filter.send_new_data_points_by_default && filter.data_points.length === 0) return (batch) => ({ ...batch });
  const l = lookupsOf(filter);
  return function dataFilter(batch) {
    const out: Batch = {
      ...batch,
      events: filterEvents(l, batch.events),
      user_attributes: keptEntries(batch.user_attributes, (key) => userAttributeKept(l, key)),
      user_identities: keptEntries(batch.user_identities, (key) => identityKept(l, key)),
    };
    if (batch.deleted_user_attributes) out.deleted_user_attributes = batch.deleted_user_attributes.filter((key) => userAttributeKept(l, key));
    return out;
  };
}

/** One batch through a filter; a connection compiles its filter once with {@link compileFilter} instead. */
export function applyFilter(batch: Batch, filter: ConnectionFilter): Batch {
  return compileFilter(filter)(batch);
}

/**
 * DataPoint filters (Platform API v1) as a connection's data filter (`connections/forwarding/
 * filter.ts`): each v1 point is one of the filter's data points, and whether a connection
 * forwards it is what its filter does to a batch holding it, so the filter's rules (an event
 * type off switches its events off, an event off its attributes) are the filter's alone.
 */
import { compileFilter, type ConnectionFilter, FORWARD_EVERYTHING } from '../connections/forwarding/filter.ts';
import type { Batch, BatchEvent, EventData } from '../model/batch.ts';
import type { EventType } from '../model/event-types.ts';
import { identityTypeOf, type V1DataPoint } from './datapoints.ts';

/** A filter data point as `parseFilter` takes it. */
export type FilterEntry = Readonly<Record<string, unknown>>;

/** The v1 point as the data filter names it, switched on or off. */
export function filterEntryOf(p: V1DataPoint, enabled: boolean): FilterEntry {
  const attribute = p.attribute_name ?? '';
  switch (p.type) {
    case 'Event':
      return { type: 'event', event_type: p.event_type, name: p.name, enabled };
    case 'EventAttribute':
      return { type: 'event_attribute', event_type: p.event_type, event_name: p.name, name: attribute, enabled };
    case 'ScreenView':
      return { type: 'event', event_type: 'screen_view', name: p.name, enabled };
    case 'ScreenViewAttribute':
      return { type: 'event_attribute', event_type: 'screen_view', event_name: p.name, name: attribute, enabled };
    case 'Commerce':
      return { type: 'event', event_type: 'commerce_event', name: p.name, enabled };
    case 'CommerceAttribute':
      return { type: 'event_attribute', event_type: 'commerce_event', event_name: p.name, name: attribute, enabled };
    case 'EventType':
      return { type: 'event', event_type: p.name, enabled };
    case 'UserAttribute':
      return { type: 'user_attribute', name: p.name, enabled };
    case 'Identity':
    case 'UserIdentity':
      return { type: 'user_identity', name: identityTypeOf(p.name) ?? p.name, enabled };
    default: {
      const unreachable: never = p.type;
      throw new Error(`unknown DataPoint type ${String(unreachable)}`);
    }
  }
}

/** What makes two filter entries one (as the filter normalised them: its `event_type` defaulted). */
export const entryKey = (e: FilterEntry) => JSON.stringify([e.type, e.event_type ?? 'custom_event', e.event_name ?? null, e.name ?? null]);

/** A commerce event's data, from its name (`product_purchase`, `promotion_view`, `product_impression`). */
function commerceData(name: string): EventData {
  if (name === 'product_impression') return { product_impressions: [{}] };
  if (name.startsWith('promotion_')) return { promotion_action: { action: name.slice('promotion_'.length) } };
  return { product_action: { action: name.slice('product_'.length) } };
}

const ATTRIBUTE = 'probe';

/** A batch holding just the point, and whether a filtered copy still holds it. */
function probe(p: V1DataPoint): { batch: Batch; holds: (b: Batch) => boolean } {
  const batch = (over: Partial<Batch>): Batch => ({ environment: 'production', user_identities: {}, user_attributes: {}, events: [], ...over });
  const withAttribute = (data: EventData) => (p.attribute_name === null ? data : { ...data, custom_attributes: { [p.attribute_name]: ATTRIBUTE } });
  const event = (event_type: EventType, data: EventData): { batch: Batch; holds: (b: Batch) => boolean } => ({
    batch: batch({ events: [{ event_type, data: withAttribute(data) } satisfies BatchEvent] }),
    holds: (b) => b.events.length === 1 && (p.attribute_name === null || b.events[0]!.data.custom_attributes?.[p.attribute_name] !== undefined),
  });
  switch (p.type) {
    case 'Event':
    case 'EventAttribute':
      return event('custom_event', { event_name: p.name, custom_event_type: p.event_type });
    case 'ScreenView':
    case 'ScreenViewAttribute':
      return event('screen_view', { screen_name: p.name });
    case 'Commerce':
    case 'CommerceAttribute':
      return event('commerce_event', commerceData(p.name));
    case 'UserAttribute':
      return { batch: batch({ user_attributes: { [p.name]: ATTRIBUTE } }), holds: (b) => p.name in b.user_attributes };
    case 'Identity':
    case 'UserIdentity': {
      const type = identityTypeOf(p.name) ?? p.name;
      return { batch: batch({ user_identities: { [type]: ATTRIBUTE } }), holds: (b) => type in b.user_identities };
    }
    case 'EventType':
      throw new Error('an EventType filter is read from its entry');
  }
}

/**
 * Whether a connection with this filter (null: none) forwards the point. An EventType filter is
 * the entry itself: on or off as listed, else as new data points are.
 */
export function forwards(filter: ConnectionFilter | null, p: V1DataPoint): boolean {
  const f = filter ?? FORWARD_EVERYTHING;
  if (p.type === 'EventType') {
    const key = entryKey(filterEntryOf(p, true));
    return f.data_points.find((e) => entryKey(e) === key)?.enabled ?? f.send_new_data_points_by_default;
  }
  const { batch, holds } = probe(p);
  return holds(compileFilter(f)(batch));
}

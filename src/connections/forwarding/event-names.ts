/**
 * How the data filter names events. A data point's `event_type` (its scope) is an Events API event
 * type, or a custom event type (`navigation`, `location`...) for the custom events of that type
 * only: mParticle's DataPoint API keys custom events by their custom event type. Within a scope an
 * event is named by its custom event's `event_name`, its screen view's screen name, or its commerce
 * action, spelt as mParticle's DataPoint API spells it (`product_purchase`, `promotion_click`,
 * `product_impression`). Other event types (sessions, crashes, push...) have no name: the type
 * alone is their data point.
 */
import { type BatchEvent, type EventData, screenNameOf } from '../../model/batch.ts';
import { CUSTOM_EVENT_TYPES, type CustomEventType, EVENT_TYPES, type EventType, PRODUCT_ACTIONS } from '../../model/event-types.ts';
import { isObject, nonEmpty } from './json-fields.ts';

/** An event data point's scope: an Events API event type, or a custom event type. */
export type FilterEventType = EventType | CustomEventType;
export const FILTER_EVENT_TYPES: readonly string[] = [...EVENT_TYPES, ...CUSTOM_EVENT_TYPES];

/** "Remove from wishlist" has two spellings; both are the one data point `product_remove_from_wishlist`. */
const WISH_LIST = 'remove_from_wish_list';
const productName = (action: string) => `product_${action === WISH_LIST ? 'remove_from_wishlist' : action}`;

/** Commerce events' names: mParticle's DataPoint spellings of the product and promotion actions, and impressions. */
export const COMMERCE_EVENT_NAMES: readonly string[] = [
  ...PRODUCT_ACTIONS.filter((a) => a !== WISH_LIST).map(productName),
  'promotion_view',
  'promotion_click',
  'product_impression',
];

/** A commerce event name as the filter keeps it: one spelling of "remove from wishlist"; undefined when it names no commerce event. */
export function commerceNameOf(name: string): string | undefined {
  const normal = name === `product_${WISH_LIST}` ? productName(WISH_LIST) : name;
  return COMMERCE_EVENT_NAMES.includes(normal) ? normal : undefined;
}

/** What names the events of a scope; null: they have no name, the event type alone is their data point. */
export type Naming = 'event_name' | 'screen_name' | 'commerce_action' | null;

export function namingOf(type: FilterEventType): Naming {
  switch (type) {
    case 'custom_event':
    case 'attribution':
    case 'location':
    case 'media':
    case 'navigation':
    case 'search':
    case 'social':
    case 'transaction':
    case 'user_content':
    case 'user_preference':
    case 'other':
    case 'unknown':
      return 'event_name';
    case 'screen_view':
      return 'screen_name';
    case 'commerce_event':
      return 'commerce_action';
    case 'session_start':
    case 'session_end':
    case 'uninstall':
    case 'crash_report':
    case 'opt_out':
    case 'first_run':
    case 'pre_attribution':
    case 'push_registration':
    case 'push_message':
    case 'push_reaction':
    case 'application_state_transition':
    case 'network_performance':
    case 'breadcrumb':
    case 'profile':
    case 'user_attribute_change':
    case 'user_identity_change':
      return null;
    default: {
      const unreachable: never = type;
      throw new Error(`unknown event type ${String(unreachable)}`);
    }
  }
}

const actionOf = (v: unknown): string | undefined => (isObject(v) ? nonEmpty(v.action) : undefined);

/**
 * An event's name in the filter: `null` for an event type whose events have none, `''` for an
 * event that lacks the name its type has (only the event type's data point applies to it).
 *
 * @example
 *   filterNameOf({ event_type: 'commerce_event', data: { product_action: { action: 'purchase' } } }) // 'product_purchase'
 *   filterNameOf({ event_type: 'session_start', data: {} })                                          // null
 */
export function filterNameOf(event: BatchEvent): string | null {
  const data: EventData = event.data;
  switch (namingOf(event.event_type)) {
    case 'event_name':
      return nonEmpty(data.event_name) ?? '';
    case 'screen_name':
      return screenNameOf(data) ?? '';
    case 'commerce_action': {
      const product = actionOf(data.product_action);
      if (product) return productName(product);
      const promotion = actionOf(data.promotion_action);
      if (promotion) return `promotion_${promotion}`;
      return Array.isArray(data.product_impressions) && data.product_impressions.length > 0 ? 'product_impression' : '';
    }
    case null:
      return null;
  }
}

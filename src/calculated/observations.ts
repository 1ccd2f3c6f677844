import { type Batch, type BatchEvent, type EventData, screenNameOf } from '../model/batch.ts';
import { type AttributeLookup, compileConditions, type ConditionPredicate, isMissing } from './conditions.ts';
import { memoized } from '../kernel/memo.ts';
import { isEpochMs } from './dates.ts';
import { toNumber } from './decimal.ts';
import { type DataPoint, type Definition, IMPRESSION_ACTION, needsAttribute } from './definition.ts';
import { asScalar, ownValue, type Scalar } from './values.ts';

/**
 * What one event contributes to a definition: nothing (it is not the data point, or fails the
 * conditions), or an {@link Observation}: its time and its values.
 *
 * Which event is the data point:
 * - `custom_event`: the same `event_name` (exact), and the same `custom_event_type` if the data
 *   point names one;
 * - `screen_view`: the data point's `event_name` is the screen name (`screen_name`, else the
 *   event's `event_name`), exact;
 * - `commerce_event`: the data point's `custom_event_type` is the product action (`purchase`,
 *   `add_to_cart`, ...), the promotion action (`view`, `click`) or "impression" (the event has
 *   product impressions); none matches every commerce event. `click` is the product action for
 *   product attributes, the promotion action for promotion attributes, either otherwise. The
 *   event name is compared only when the event has one (the SDKs send commerce events without);
 * - every other event type by type alone.
 */

/** A value and its weight (a product's quantity under `use_product_quantity`, else 1). */
export interface WeightedValue {
  readonly value: Scalar;
  readonly weight: number;
}

/** What a qualifying event contributes. */
export interface Observation {
  /** Event time: it orders first and last values and places the event in a `within` window. */
  readonly atMs: number;
  /**
   * What first and last timestamps report: the event time, but for commerce events the batch
   * timestamp (the Calculated Attributes Reference: "First timestamp is the batch timestamp").
   */
  readonly stampMs: number;
  /** In order: one per product or promotion for product and promotion attributes. */
  readonly values: readonly WeightedValue[];
}

/** What an observation needs of the batch: its timestamp. */
export type BatchTime = Pick<Batch, 'timestamp_unixtime_ms'>;

/** Product fields by name, then a product's `custom_attributes` (the Events API's product). */
export const PRODUCT_FIELDS = [
  'id', 'name', 'brand', 'category', 'variant', 'position', 'price', 'quantity', 'coupon_code', 'total_product_amount',
] as const;
export const PROMOTION_FIELDS = ['id', 'name', 'creative', 'position'] as const;
/** Fields of a commerce event's `product_action` an event attribute may name when no custom attribute has the name. */
export const PRODUCT_ACTION_FIELDS = [
  'transaction_id', 'affiliation', 'total_amount', 'tax_amount', 'shipping_amount', 'coupon_code',
  'checkout_step', 'checkout_options', 'product_action_list', 'product_list_source',
] as const;
/** Other names for fields: the SDKs call a product's `id` its SKU. */
const FIELD_ALIASES: Readonly<Record<string, string>> = { sku: 'id' };

/**
 * The event's time: its `timestamp_unixtime_ms`, else the batch's, else when it was received.
 */
export function eventTimeMs(event: BatchEvent, batch: BatchTime, receivedAtMs: number): number {
  const own = event.data.timestamp_unixtime_ms;
  if (isEpochMs(own)) return own;
  return isEpochMs(batch.timestamp_unixtime_ms) ? batch.timestamp_unixtime_ms : receivedAtMs;
}

/**
 * The name a custom event or screen view must have to be a data point (its `event_name`, a screen
 * view's screen name); undefined for other event types, whose data points are not told apart by name.
 */
export function dataPointNameOf(event: BatchEvent): string | null | undefined {
  const data = event.data;
  switch (event.event_type) {
    case 'custom_event':
      return typeof data.event_name === 'string' ? data.event_name : null;
    case 'screen_view':
      return screenNameOf(data);
    default:
      return undefined;
  }
}

/** Whether an event is the definition's data point (conditions aside). */
export function matchesDataPoint(dp: DataPoint, event: BatchEvent): boolean {
  if (event.event_type !== dp.event_type) return false;
  const data = event.data;
  switch (dp.event_type) {
    case 'custom_event':
      return dataPointNameOf(event) === dp.event_name && (dp.custom_event_type === null || data.custom_event_type === dp.custom_event_type);
    case 'screen_view':
      return dataPointNameOf(event) === dp.event_name;
    case 'commerce_event':
      return commerceMatches(dp, data);
    default:
      return true;
  }
}

/**
 * What an event contributes to a definition, or undefined if it does not qualify.
 *
 * Conditions on event attributes are checked against the event's `custom_attributes`. On
 * product (promotion) attributes they are checked per product (promotion), falling back to the
 * event's attributes for names the product does not have; only the products that pass give
 * values, and the event qualifies if one passes (an event without products is checked against
 * its own attributes). For `count` and the timestamps a qualifying event counts once.
 */
export function observeEvent(def: Definition, event: BatchEvent, batch: BatchTime, receivedAtMs: number): Observation | undefined {
  if (!matchesDataPoint(def.datapoint, event)) return undefined;
  const values = valuesOf(def, compiled(def), event);
  if (values === undefined) return undefined;
  const atMs = eventTimeMs(event, batch, receivedAtMs);
  const stampMs = event.event_type === 'commerce_event' && isEpochMs(batch.timestamp_unixtime_ms) ? batch.timestamp_unixtime_ms : atMs;
  return { atMs, stampMs, values };
}

interface Compiled {
  readonly conditions: ConditionPredicate;
  readonly hasConditions: boolean;
}

/** Compiled once per definition object (definitions are frozen, so the cache cannot go stale). */
const cache = new WeakMap<Definition, Compiled>();

function compiled(def: Definition): Compiled {
  let c = cache.get(def);
  if (!c) cache.set(def, (c = { conditions: compileConditions(def.conditions), hasConditions: def.conditions.length > 0 }));
  return c;
}

type Bag = Record<string, unknown>;

/** An observation without values (shared: observations are never changed). */
const NO_VALUES: readonly WeightedValue[] = Object.freeze([]);

function valuesOf(def: Definition, c: Compiled, event: BatchEvent): readonly WeightedValue[] | undefined {
  const dp = def.datapoint;
  const name = needsAttribute(def.calculation_type) ? dp.attribute_name : null;
  if (dp.attribute_category === 'event_attribute' && name === null && !c.hasConditions) return NO_VALUES;
  const eventAttributes = eventLookup(event);
  if (dp.attribute_category === 'event_attribute') {
    if (!c.conditions(eventAttributes)) return undefined;
    const value = name === null ? undefined : asScalar(eventAttributes(name));
    return value === undefined ? NO_VALUES : [{ value, weight: 1 }];
  }
  const product = dp.attribute_category === 'product_attribute';
  const fields = product ? PRODUCT_FIELDS : PROMOTION_FIELDS;
  const items = product ? productsOf(dp, event.data) : bags(ownValue(event.data.promotion_action, 'promotions'));
  const qualifying = c.hasConditions ? items.filter((item) => c.conditions(itemLookup(item, fields, eventAttributes))) : items;
  if (c.hasConditions && qualifying.length === 0 && (items.length > 0 || !c.conditions(eventAttributes))) return undefined;
  if (name === null) return NO_VALUES;
  const out: WeightedValue[] = [];
  for (const item of qualifying) {
    const value = asScalar(itemLookup(item, fields, () => undefined)(name));
    if (value !== undefined) out.push({ value, weight: product && dp.use_product_quantity ? quantityOf(item) : 1 });
  }
  return out;
}

/** A product's quantity as a weight: a positive number (or numeric string), else 1. */
function quantityOf(product: Bag): number {
  const q = toNumber(product.quantity);
  return q !== undefined && q > 0 ? q : 1;
}

/** An event's attributes: `custom_attributes`, then (commerce events) the product action's fields. */
function eventLookup(event: BatchEvent): AttributeLookup {
  const attributes = event.data.custom_attributes;
  if (event.event_type !== 'commerce_event') return (name) => ownValue(attributes, name);
  return (name) => {
    const own = ownValue(attributes, name);
    if (!isMissing(own)) return own;
    const field = fieldName(name, PRODUCT_ACTION_FIELDS);
    if (field !== undefined) return ownValue(event.data.product_action, field);
    return fieldName(name, ['currency_code']) === undefined ? undefined : event.data.currency_code;
  };
}

/** A product's (promotion's) attributes: its fields, its custom attributes, then `fallback`. */
function itemLookup(item: Bag, fields: readonly string[], fallback: AttributeLookup): AttributeLookup {
  return (name) => {
    const field = fieldName(name, fields);
    const own = field === undefined ? undefined : ownValue(item, field);
    if (!isMissing(own)) return own;
    const custom = ownValue(item.custom_attributes, name);
    return isMissing(custom) ? fallback(name) : custom;
  };
}

/**
 * The field an attribute name stands for: names are matched case-insensitively with spaces for
 * underscores ("Coupon Code" is `coupon_code`, "SKU" is `id`).
 */
function fieldName(name: string, fields: readonly string[]): string | undefined {
  const field = fieldKeyOf(name);
  return fields.includes(field) ? field : undefined;
}

/** An attribute name as a field key, remembered (definitions name few, and they are looked up per product). */
const fieldKeyOf = memoized((name: string): string => {
  const key = name.trim().toLowerCase().replace(/\s+/g, '_');
  return FIELD_ALIASES[key] ?? key;
});

function commerceMatches(dp: DataPoint, data: EventData): boolean {
  const name = nonEmpty(data.event_name);
  if (dp.event_name !== null && name !== undefined && name !== dp.event_name) return false;
  const wanted = dp.custom_event_type;
  if (wanted === null) return true;
  if (wanted === IMPRESSION_ACTION) return bags(data.product_impressions).length > 0;
  const product = sameAction(ownValue(data.product_action, 'action'), wanted);
  const promotion = ownValue(data.promotion_action, 'action') === wanted;
  if (dp.attribute_category === 'product_attribute') return product;
  if (dp.attribute_category === 'promotion_attribute') return promotion;
  return product || promotion;
}

/** Product actions, the two spellings of "remove from wishlist" being one. */
function sameAction(action: unknown, wanted: string): boolean {
  const norm = (a: string): string => (a === 'remove_from_wish_list' ? 'remove_from_wishlist' : a);
  return typeof action === 'string' && norm(action) === norm(wanted);
}

/** The products of the product action, else of the product impressions. */
function productsOf(dp: DataPoint, data: EventData): Bag[] {
  const impressions = (): Bag[] => bags(data.product_impressions).flatMap((i) => bags(i.products));
  if (dp.custom_event_type === IMPRESSION_ACTION) return impressions();
  return isMissing(data.product_action) ? impressions() : bags(ownValue(data.product_action, 'products'));
}

function bags(value: unknown): Bag[] {
  return Array.isArray(value) ? value.filter((v): v is Bag => v !== null && typeof v === 'object' && !Array.isArray(v)) : [];
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

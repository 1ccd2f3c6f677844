import { type BatchEvent, screenNameOf } from '../../../model/batch.ts';
import { commerceEventName, currencyOf, type Product, productActionOf, productFields, transactionFields, transactionTotal } from './commerce.ts';
import { withoutDollar } from './reserved-attributes.ts';

/**
 * The Amplitude events each mParticle event becomes (the Event Data Mapping of mParticle's
 * Amplitude page): its event type, properties and revenue, before the batch's fields (ids,
 * device, user properties) are added.
 */

/** The settings that shape the events. */
export interface AmplitudeEventOptions {
  readonly prefixAttribution: boolean;
  readonly sendTransitions: boolean;
  readonly attributesAsObjects: boolean;
}

/** An Amplitude event an mParticle event becomes, before its batch's fields are added. */
export interface Mapped {
  type: string;
  /** Told apart from the other events of one mParticle event in `insert_id` (`<id>-item-0`). */
  part?: string;
  properties?: Record<string, unknown>;
  /** Merged over the batch's user properties (attribution events). */
  userProperties?: Record<string, unknown>;
  revenue?: { price: number; quantity: number; revenue: number; revenueType: string };
}

type Attributes = Readonly<Record<string, unknown>>;

const textOf = (v: unknown) => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

function eventProperties(attributes: Attributes | null | undefined, options: AmplitudeEventOptions): Record<string, unknown> {
  if (!attributes) return {};
  if (!options.attributesAsObjects) return { ...attributes };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attributes)) {
    out[key] = value;
    if (typeof value !== 'string') continue;
    try {
      out[key] = JSON.parse(value) as unknown;
    } catch {
      // Not JSON: sent as it is, as the setting says.
    }
  }
  return out;
}

/** The attribution source an attribution event names: the feed it came by, else its publisher. */
function attributionSource(attributes: Attributes): string | undefined {
  return textOf(attributes['mParticle Source Feed']) ?? textOf(attributes.publisher);
}

function productProperties(p: Product): Record<string, unknown> {
  return { ...productFields(p), ...p.custom_attributes };
}

function commerceEvents(event: BatchEvent, options: AmplitudeEventOptions): Mapped[] {
  const action = productActionOf(event.data);
  // The page: "mParticle will not attempt to forward eCommerce Events to Amplitude which contain no Products."
  if (!action || action.products.length === 0) return [];
  const attributes = eventProperties(event.data.custom_attributes, options);
  const transaction = transactionFields(action, currencyOf(event.data));
  const context: Record<string, unknown> = {};
  for (const key of ['Transaction Id', 'Currency Code']) if (transaction[key] !== undefined) context[key] = transaction[key];
  const out: Mapped[] = [
    { type: commerceEventName(action.action, 'transaction'), properties: { ...attributes, ...transaction, products: action.products.map(productProperties) } },
    ...action.products.map((p, i): Mapped => ({
      type: commerceEventName(action.action, 'item'),
      part: `item-${i}`,
      properties: { ...attributes, ...context, ...productProperties(p) },
    })),
  ];
  if (action.action === 'purchase' || action.action === 'refund') {
    // Only this event carries revenue, so Amplitude counts the transaction's once. Amplitude
    // names it "[Amplitude] Revenue"; a refund's revenue is negative.
    const total = transactionTotal(action);
    const revenue = action.action === 'refund' ? -total : total;
    out.push({ type: 'revenue_amount', part: 'revenue', properties: context, revenue: { price: revenue, quantity: 1, revenue, revenueType: action.action } });
  }
  return out;
}

const TRANSITIONS: Readonly<Record<string, string>> = {
  application_exit: 'Application Exit',
  application_background: 'Application Background',
  application_foreground: 'Application Foreground',
};

function transitionEvents(event: BatchEvent): Mapped[] {
  const d = event.data;
  if (d.application_transition_type === 'application_initialized') {
    return [{ type: d.is_first_run === true ? 'Install' : d.is_upgrade === true ? 'Upgrade' : 'Application Initialized' }];
  }
  const type = TRANSITIONS[String(d.application_transition_type)];
  return type ? [{ type }] : [];
}

/** The Amplitude events one mParticle event becomes (the page's Event Data Mapping): none for the event types it does not forward. */
export function mapEvent(event: BatchEvent, options: AmplitudeEventOptions): Mapped[] {
  const d = event.data;
  switch (event.event_type) {
    case 'custom_event': {
      // Amplitude refuses an event without an event type, and with it the whole request.
      if (typeof d.event_name !== 'string' || d.event_name === '') return [];
      if (d.custom_event_type !== 'attribution') return [{ type: d.event_name, properties: eventProperties(d.custom_attributes, options) }];
      const attributes = d.custom_attributes ?? {};
      const source = attributionSource(attributes);
      const prefix = options.prefixAttribution && source !== undefined ? `[${source}] ` : '';
      const userProperties: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(attributes)) if (value !== null) userProperties[prefix + withoutDollar(key)] = value;
      return [{ type: prefix + d.event_name, userProperties }];
    }
    case 'screen_view': {
      const name = screenNameOf(d);
      return name === null ? [] : [{ type: `Viewed ${name}`, properties: eventProperties(d.custom_attributes, options) }];
    }
    case 'commerce_event':
      return commerceEvents(event, options);
    case 'session_start':
      return [{ type: 'session_start' }];
    case 'session_end':
      return [{ type: 'session_end' }];
    case 'push_registration':
      return [{ type: 'Push Registration' }];
    case 'application_state_transition':
      return options.sendTransitions ? transitionEvents(event) : [];
    case 'uninstall':
    case 'crash_report':
    case 'opt_out':
    case 'first_run':
    case 'pre_attribution':
    case 'push_message':
    case 'push_reaction':
    case 'network_performance':
    case 'breadcrumb':
    case 'profile':
    case 'user_attribute_change':
    case 'user_identity_change':
      return [];
    default: {
      const unhandled: never = event.event_type;
      throw new Error(`unhandled event type ${String(unhandled)}`);
    }
  }
}

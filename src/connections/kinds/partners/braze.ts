import { type BatchEvent, screenNameOf } from '../../../model/batch.ts';
import type { HttpRequest } from '../../http-send.ts';
import type { SettingSpec, Settings } from '../../output.ts';
import type { StreamBatch } from '../../stream-batch.ts';
import { brazeAttributesOf, detectType } from './braze-attributes.ts';
import { BRAZE_COMMON_SETTINGS, brazeKey, type BrazeObject, type BrazeTrackBody, usersTrackRequests } from './braze-request.ts';
import { commerceEventName, currencyOf, type Product, type ProductAction, productActionOf, productFields, transactionFields } from './commerce.ts';
import { eventTimeMs } from './event-time.ts';
import { chosenIdentity, IDENTITY_CHOICES, type IdentityChoice } from './identity-choice.ts';
import { settingValues } from './setting-values.ts';

/**
 * mParticle's Braze event integration, server to server, as a pure mapping: stream batches in,
 * Braze `/users/track` requests out (the page's Event Data Mapping and User Attributes). Only a
 * user with the chosen external identity is sent (the page: "For server-side data to be
 * forwarded to Braze, it must include your selected External Identity Type").
 */

/**
 * Stream batches per delivery. Requests are split to Braze's 75 per array whatever this is, and
 * Braze does not deduplicate: a split request retried whole sends its first parts again. Ten
 * batches of one user (one attributes object, a few dozen events) fit one request.
 */
export const BRAZE_MAX_BATCHES = 10;

const TYPE_DETECTION = ['none', 'user_attributes', 'event_attributes', 'both'] as const;
const USER_TAG_VALUES = ['true', 'null'] as const;

export const BRAZE_SETTINGS: readonly SettingSpec[] = [
  ...BRAZE_COMMON_SETTINGS,
  {
    name: 'forward_session_events',
    type: 'bool',
    is_required: false,
    default: false,
    description: 'If enabled, session starts and ends are sent as the custom events Session Start and Session End, and session_id is a property of session, screen view and custom events.',
  },
  {
    name: 'forward_page_name_as_braze_event_name',
    type: 'bool',
    is_required: false,
    default: false,
    description: 'If enabled, a screen view is sent as a custom event named as the screen; otherwise "Viewed <screen>".',
  },
  { name: 'send_user_attribute_lists_as_arrays', type: 'bool', is_required: false, default: false, description: 'If enabled, a list user attribute is sent as an array of strings; otherwise as one comma-separated string.' },
  {
    name: 'user_tags_value',
    type: 'string',
    is_required: false,
    default: 'true',
    one_of: USER_TAG_VALUES,
    description: 'What a user tag (an attribute without a value) is sent as: "true" (a boolean when user attribute types are detected), or "null", which removes the custom attribute from the Braze profile.',
  },
  {
    name: 'enable_api_custom_attribute_type_detection',
    type: 'string',
    is_required: false,
    default: 'none',
    one_of: TYPE_DETECTION,
    description: 'Send string attributes holding a boolean or a number (tested in that order: Boolean, Long, Double, else String) as that type: for user attributes, event attributes, both, or none. $Zip is always a string.',
  },
];

interface BrazeConfig {
  apiKey: string;
  restEndpoint: string;
  externalIdentity: IdentityChoice;
  emailIdentity: IdentityChoice;
  forwardSessions: boolean;
  pageNameAsEventName: boolean;
  listsAsArrays: boolean;
  userTagsValue: (typeof USER_TAG_VALUES)[number];
  detection: (typeof TYPE_DETECTION)[number];
}

function configOf(settings: Settings): BrazeConfig {
  const s = settingValues(BRAZE_SETTINGS, settings);
  return {
    apiKey: s.text('api_key') ?? '',
    restEndpoint: s.text('rest_endpoint') ?? '',
    externalIdentity: s.choice('external_identity_type', IDENTITY_CHOICES),
    emailIdentity: s.choice('email_identity_type', IDENTITY_CHOICES),
    forwardSessions: s.flag('forward_session_events'),
    pageNameAsEventName: s.flag('forward_page_name_as_braze_event_name'),
    listsAsArrays: s.flag('send_user_attribute_lists_as_arrays'),
    userTagsValue: s.choice('user_tags_value', USER_TAG_VALUES),
    detection: s.choice('enable_api_custom_attribute_type_detection', TYPE_DETECTION),
  };
}

type Properties = Record<string, unknown>;

/** Event attributes as Braze properties: keys without `$` (Braze refuses them), values typed if the setting says, nulls left out. */
function propertiesOf(attributes: Readonly<Record<string, unknown>> | null | undefined, config: BrazeConfig): Properties {
  const detect = config.detection === 'event_attributes' || config.detection === 'both';
  const out: Properties = {};
  for (const [key, value] of Object.entries(attributes ?? {})) {
    const name = brazeKey(key);
    if (name === '' || value === null || value === undefined) continue;
    out[name] = detect && typeof value === 'string' ? detectType(value) : value;
  }
  return out;
}

/** Fields by the page's names; amounts the page types `string` are sent as strings. */
function pick(fields: Readonly<Record<string, string | number>>, keys: readonly string[], asText: ReadonlySet<string> = AS_TEXT): Properties {
  const out: Properties = {};
  for (const key of keys) {
    const value = fields[key];
    if (value !== undefined) out[key] = asText.has(key) ? String(value) : value;
  }
  return out;
}
const AS_TEXT = new Set(['Total Amount', 'Shipping Amount', 'Tax Amount', 'Total Product Amount']);

/** The page's Common Commerce Fields of one product: `Transaction Id`, `Name`, `Category`, `Brand`, `Total Product Amount`, its custom attributes. */
function commonFields(action: ProductAction, p: Product, config: BrazeConfig): Properties {
  return {
    ...pick(transactionFields(action, null), ['Transaction Id']),
    ...pick(productFields(p), ['Name', 'Category', 'Brand', 'Total Product Amount']),
    ...propertiesOf(p.custom_attributes, config),
  };
}

/** Braze wants an integer quantity under 100: another is sent as one unit at the line's price, so revenue is kept. */
function priceAndQuantity(p: Product): { price: number; quantity: number } {
  const quantity = p.quantity ?? 1;
  const price = p.price ?? (typeof p.total_product_amount === 'number' && quantity !== 0 ? p.total_product_amount / quantity : 0);
  return Number.isInteger(quantity) && quantity >= 1 && quantity < 100 ? { price, quantity } : { price: price * quantity, quantity: 1 };
}

function commerceObjects(event: BatchEvent, base: { external_id: string; time: string }, config: BrazeConfig, body: BrazeTrackBody): void {
  const action = productActionOf(event.data);
  if (!action) return;
  const attributes = propertiesOf(event.data.custom_attributes, config);
  const totals = pick(transactionFields(action, null), ['Total Amount', 'Shipping Amount', 'Tax Amount']);
  if (action.action === 'purchase') {
    const currency = (currencyOf(event.data) ?? 'USD').toUpperCase();
    for (const p of action.products) {
      // Braze requires a product_id: the product's id (SKU), else its name.
      const productId = (p.id || p.name || '').slice(0, 255);
      if (productId === '') continue;
      const properties = { ...attributes, ...commonFields(action, p, config), ...totals };
      body.purchases.push({ ...base, product_id: productId, currency, ...priceAndQuantity(p), properties });
    }
    return;
  }
  for (const p of action.products) {
    const properties = { ...attributes, ...commonFields(action, p, config), ...pick(productFields(p), ['Id', 'Price', 'Quantity']) };
    body.events.push({ ...base, name: commerceEventName(action.action, 'item'), properties });
  }
  if (action.action === 'refund') {
    const properties = { ...attributes, ...pick(transactionFields(action, null), ['Transaction Id']), ...totals };
    body.events.push({ ...base, name: commerceEventName(action.action, 'total'), properties });
  }
}

function sessionIdOf(event: BatchEvent): string | undefined {
  const { session_uuid, session_id } = event.data;
  if (typeof session_uuid === 'string' && session_uuid !== '') return session_uuid;
  return session_id === null || session_id === undefined ? undefined : String(session_id);
}

/** Adds what one event becomes in Braze (custom events or purchases) to the body; nothing for the event types the page does not map. */
function addEvent(event: BatchEvent, from: StreamBatch, externalId: string, config: BrazeConfig, body: BrazeTrackBody): void {
  const base = { external_id: externalId, time: new Date(eventTimeMs(event, from)).toISOString() };
  const session = config.forwardSessions ? sessionIdOf(event) : undefined;
  const custom = (name: string, properties: Properties) => {
    const all = session === undefined ? properties : { ...properties, session_id: session };
    body.events.push({ ...base, name, ...(Object.keys(all).length > 0 && { properties: all }) });
  };
  const d = event.data;
  switch (event.event_type) {
    case 'custom_event':
      if (typeof d.event_name === 'string' && d.event_name !== '') custom(d.event_name, propertiesOf(d.custom_attributes, config));
      return;
    case 'screen_view': {
      const name = screenNameOf(d);
      if (name !== null) custom(config.pageNameAsEventName ? name : `Viewed ${name}`, propertiesOf(d.custom_attributes, config));
      return;
    }
    case 'commerce_event':
      commerceObjects(event, base, config, body);
      return;
    case 'session_start':
      if (config.forwardSessions) custom('Session Start', {});
      return;
    case 'session_end':
      if (config.forwardSessions) custom('Session End', {});
      return;
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
      return;
    default: {
      const unhandled: never = event.event_type;
      throw new Error(`unhandled event type ${String(unhandled)}`);
    }
  }
}

/**
 * The `/users/track` requests that send these batches to Braze, in order: one attributes object
 * per user (each batch's attributes merged over the one before), the events and purchases of
 * every batch, split to Braze's 75 per array; none when nothing is for Braze.
 *
 * @example
 * for (const [i, request] of brazeTrackRequests(batches, settings).entries()) await sendHttp(request, `${key}-${i}`, timeoutMs);
 */
export function brazeTrackRequests(batches: readonly StreamBatch[], settings: Settings): HttpRequest[] {
  const config = configOf(settings);
  const options = {
    emailIdentity: config.emailIdentity,
    listsAsArrays: config.listsAsArrays,
    userTagsValue: config.userTagsValue,
    detectTypes: config.detection === 'user_attributes' || config.detection === 'both',
  };
  const attributes = new Map<string, BrazeObject>();
  const body: BrazeTrackBody = { attributes: [], events: [], purchases: [] };
  for (const from of batches) {
    const externalId = chosenIdentity(from.batch.user_identities, from.mpid, config.externalIdentity);
    if (externalId === undefined) continue;
    const update = brazeAttributesOf(from, externalId, options);
    if (update) attributes.set(externalId, { ...attributes.get(externalId), ...update, external_id: externalId });
    for (const event of from.batch.events) addEvent(event, from, externalId, config, body);
  }
  body.attributes = [...attributes.values()];
  return usersTrackRequests(config.restEndpoint, config.apiKey, body);
}

import { CUSTOM_EVENT_TYPES, ENVIRONMENTS, type EventType, PRODUCT_ACTIONS } from './event-types.ts';
import { IDENTITY_ALIASES, USER_IDENTITY_TYPES } from './identity-types.ts';

/**
 * JSON Schemas for the Events API batch, compiled once by `batch-parser.ts`.
 *
 * They follow the JSON reference and the events OpenAPI file, made as liberal as real clients
 * require: optional fields may be `null` (the Web SDK sends many), unknown fields are kept, and
 * only the fields an event cannot mean anything without are required.
 */
type Schema = Record<string, unknown>;

const nullable = (type: string | string[]): Schema => ({ type: [...[type].flat(), 'null'] });
const str = nullable('string');
const int = nullable('integer');
const num = nullable('number');
const bool = nullable('boolean');
const obj = nullable('object');
const requiredString: Schema = { type: 'string', minLength: 1 };
const oneOf = (values: readonly string[]): Schema => ({ enum: [...values, null] });

const identityProps = Object.fromEntries(
  [...USER_IDENTITY_TYPES, ...Object.keys(IDENTITY_ALIASES)].map((k) => [k, str]),
);

const product: Schema = {
  type: 'object',
  properties: {
    id: str, name: str, brand: str, category: str, variant: str, position: int, price: num,
    quantity: num, coupon_code: str, added_to_cart_time_ms: int, total_product_amount: num,
    custom_attributes: obj,
  },
};

const products: Schema = { type: ['array', 'null'], items: product };

/** The batch envelope. Events are checked here only for `event_type` and `data`. */
export const batchSchema: Schema = {
  type: 'object',
  properties: {
    events: {
      type: ['array', 'null'],
      items: {
        type: 'object',
        required: ['event_type'],
        properties: { event_type: { type: 'string', minLength: 1 }, data: obj },
      },
    },
    environment: oneOf(ENVIRONMENTS),
    source_request_id: str,
    mpid: { type: ['string', 'integer', 'null'] },
    user_identities: { type: ['object', 'null'], properties: identityProps, additionalProperties: false },
    user_attributes: obj,
    deleted_user_attributes: { type: ['array', 'null'], items: { type: 'string' } },
    device_info: obj,
    application_info: obj,
    consent_state: obj,
    context: {
      type: ['object', 'null'],
      properties: {
        data_plan: {
          type: ['object', 'null'],
          required: ['plan_id'],
          properties: { plan_id: requiredString, plan_version: int },
        },
      },
    },
    batch_context: obj,
    integration_attributes: obj,
    partner_identities: obj,
    ip: str,
    timestamp_unixtime_ms: int,
    mp_deviceid: str,
    sdk_version: str,
    api_key: str,
    schema_version: int,
  },
};

const common: Schema = {
  timestamp_unixtime_ms: int,
  source_message_id: str,
  session_uuid: str,
  session_id: { type: ['integer', 'string', 'null'] },
  custom_attributes: obj,
  custom_flags: obj,
  location: obj,
  device_current_state: obj,
};

function data(properties: Schema, required: string[] = []): Schema {
  return { type: 'object', required, properties: { ...common, ...properties } };
}

/** The `data` node of each event type. */
export const eventDataSchemas: Record<EventType, Schema> = {
  custom_event: data(
    { event_name: requiredString, custom_event_type: oneOf(CUSTOM_EVENT_TYPES), media_info: obj },
    ['event_name'],
  ),
  commerce_event: data({
    product_action: {
      type: ['object', 'null'],
      required: ['action'],
      properties: {
        action: { enum: PRODUCT_ACTIONS }, checkout_step: int, checkout_options: str, product_action_list: str,
        product_list_source: str, transaction_id: str, affiliation: str, total_amount: num, tax_amount: num,
        shipping_amount: num, coupon_code: str, products,
      },
    },
    promotion_action: {
      type: ['object', 'null'],
      required: ['action'],
      properties: {
        action: { enum: ['view', 'click'] },
        promotions: {
          type: ['array', 'null'],
          items: { type: 'object', properties: { id: str, name: str, creative: str, position: str } },
        },
      },
    },
    product_impressions: {
      type: ['array', 'null'],
      items: { type: 'object', properties: { product_impression_list: str, products } },
    },
    shopping_cart: { type: ['object', 'null'], properties: { products } },
    currency_code: str,
    screen_name: str,
    is_non_interactive: bool,
    event_name: str,
  }),
  screen_view: data({ screen_name: requiredString, activity_type: str }, ['screen_name']),
  session_start: data({ session_start_unixtime_ms: int }),
  session_end: data({ session_duration_ms: int }),
  uninstall: data({}),
  crash_report: data({
    breadcrumbs: { type: ['array', 'null'] }, class_name: str, severity: str, message: str, stack_trace: str,
    exception_handled: bool, topmost_context: str, session_number: int,
  }),
  opt_out: data({ is_opted_out: { type: 'boolean' } }, ['is_opted_out']),
  first_run: data({}),
  pre_attribution: data({}),
  push_registration: data({ register: { type: 'boolean' }, registration_token: str }, ['register']),
  push_message: data(
    {
      push_message_token: str,
      push_message_type: { enum: ['sent', 'received', 'action'] },
      message: str, network: str, push_notification_payload: str, action_identifier: str,
      application_state: oneOf(['not_running', 'background', 'foreground']),
    },
    ['push_message_type'],
  ),
  push_reaction: data({}),
  application_state_transition: data(
    {
      application_transition_type: {
        enum: ['application_initialized', 'application_exit', 'application_background', 'application_foreground'],
      },
      is_first_run: bool, is_upgrade: bool, successfully_closed: bool, launch_referral: str,
    },
    ['application_transition_type'],
  ),
  network_performance: data(
    { http_verb: str, url: requiredString, time_elapsed: int, bytes_in: int, bytes_out: int, response_code: int },
    ['url'],
  ),
  breadcrumb: data({ label: requiredString, session_number: int }, ['label']),
  profile: data(
    {
      previous_mpid: { type: ['string', 'integer', 'null'] },
      current_mpid: { type: ['string', 'integer', 'null'] },
      profile_event_type: { enum: ['signup', 'login', 'logout', 'update', 'delete'] },
    },
    ['profile_event_type'],
  ),
  user_attribute_change: data(
    { user_attribute_name: requiredString, deleted: bool, is_new_attribute: bool },
    ['user_attribute_name'],
  ),
  user_identity_change: data({ new: obj, old: obj }),
};

import type { DataPlanDocument, DataPlanPoint } from '../../src/planning/data-plan.ts';
import { type BatchShape, BUTTONS, COUNTRIES, type GeneratedEvent, hex, pick, PLANS, type Rand, SCREENS } from './bodies.ts';

/**
 * The data plan `ingest --plan` enforces: 100 data points in mParticle's format (80 custom
 * events, 10 screen views, 6 product actions, session start and end, user attributes and user
 * identities) blocking unplanned events and attributes, and the batch shape that draws its events
 * from those points, a few of them breaking the plan on purpose.
 */

export const BENCH_PLAN_ID = 'quanta_bench_plan';
export const BENCH_PLAN_VERSION = 1;
/** Share of events that break the plan (an unplanned event, an unplanned attribute, a wrong type). */
export const EVENT_VIOLATION_RATE = 0.05;
/** Share of batches carrying an unplanned user attribute. */
export const USER_ATTRIBUTE_VIOLATION_RATE = 0.05;

export const VIOLATIONS = ['unplanned_event', 'unplanned_attribute', 'wrong_type', 'unplanned_user_attribute'] as const;
export type Violation = (typeof VIOLATIONS)[number];
const EVENT_VIOLATIONS = ['unplanned_event', 'unplanned_attribute', 'wrong_type'] as const satisfies readonly Violation[];

type Schema = Record<string, unknown>;

/** An attribute a data point may declare: its JSON Schema, a valid value and a value of the wrong type. */
interface Attribute {
  schema: Schema;
  value(rand: Rand): unknown;
  wrong(rand: Rand): unknown;
}

const digit = (rand: Rand) => Math.floor(rand() * 10);
const SECTIONS = ['landing', 'catalog', 'account'] as const;
const QUERIES = ['shoes', 'red dress', 'usb c cable', 'coffee', 'tent', 'headphones'] as const;
const QUALITIES = ['480p', '720p', '1080p', '4k'] as const;
const THEMES = ['light', 'dark', 'system'] as const;
const CAMPAIGNS = ['spring', 'summer', 'none'] as const;

const ATTRIBUTES = {
  button: { schema: { type: 'string', enum: [...BUTTONS] }, value: (r) => pick(r, BUTTONS), wrong: digit },
  screen: { schema: { type: 'string', enum: [...SCREENS] }, value: (r) => pick(r, SCREENS), wrong: digit },
  position: { schema: { type: 'string', pattern: '^[0-9]$' }, value: (r) => String(digit(r)), wrong: digit },
  query: { schema: { type: 'string', minLength: 1, maxLength: 64 }, value: (r) => pick(r, QUERIES), wrong: digit },
  results: { schema: { type: 'integer', minimum: 0, maximum: 500 }, value: (r) => Math.floor(r() * 500), wrong: (r) => String(digit(r)) },
  item_id: { schema: { type: 'string', pattern: '^item-[0-9]{1,5}$' }, value: (r) => `item-${Math.floor(r() * 99_999)}`, wrong: digit },
  seconds: { schema: { type: 'number', minimum: 0, maximum: 7200 }, value: (r) => Math.round(r() * 6000) / 10, wrong: () => 'long' },
  quality: { schema: { type: 'string', enum: [...QUALITIES] }, value: (r) => pick(r, QUALITIES), wrong: digit },
  rating: { schema: { type: 'integer', minimum: 1, maximum: 5 }, value: (r) => 1 + Math.floor(r() * 5), wrong: (r) => String(1 + digit(r)) },
  success: { schema: { type: 'boolean' }, value: (r) => r() < 0.9, wrong: () => 'yes' },
  theme: { schema: { type: 'string', enum: [...THEMES] }, value: (r) => pick(r, THEMES), wrong: () => true },
  coupon: { schema: { type: 'string', pattern: '^[A-Z]{4}[0-9]{2}$' }, value: (r) => `SAVE${String(digit(r))}${String(digit(r))}`, wrong: digit },
  discount: { schema: { type: 'number', minimum: 0, maximum: 100 }, value: (r) => Math.floor(r() * 50), wrong: () => '10%' },
  section: { schema: { type: 'string', enum: [...SECTIONS] }, value: (r) => pick(r, SECTIONS), wrong: digit },
  referrer: { schema: { type: 'string', enum: [...SCREENS] }, value: (r) => pick(r, SCREENS), wrong: digit },
  campaign: { schema: { type: 'string', enum: [...CAMPAIGNS] }, value: (r) => pick(r, CAMPAIGNS), wrong: digit },
} satisfies Record<string, Attribute>;
type AttributeName = keyof typeof ATTRIBUTES;

/** Custom events as 16 families of 5 (80 data points), each family with its attribute set. */
interface Family {
  names: string[];
  type: string;
  required: AttributeName[];
  optional: AttributeName[];
}

const named = (base: string, variants: readonly string[]) => variants.map((v) => `${base} ${v}`);
const FAMILIES: Family[] = [
  { names: named('Button Clicked', ['signup', 'login', 'share', 'subscribe', 'play']), type: 'navigation', required: ['screen', 'position'], optional: ['button'] },
  { names: named('Tab Opened', ['Home', 'Deals', 'Library', 'Inbox', 'Account']), type: 'navigation', required: ['screen'], optional: ['position', 'section'] },
  { names: named('Search', ['Products', 'Articles', 'Videos', 'Help', 'Stores']), type: 'search', required: ['query', 'results'], optional: ['screen'] },
  { names: named('Filter Applied', ['Price', 'Brand', 'Size', 'Colour', 'Rating']), type: 'search', required: ['query', 'results'], optional: ['position'] },
  { names: named('Video', ['Started', 'Paused', 'Resumed', 'Completed', 'Skipped']), type: 'media', required: ['item_id', 'seconds'], optional: ['quality'] },
  { names: named('Podcast', ['Started', 'Paused', 'Resumed', 'Completed', 'Downloaded']), type: 'media', required: ['item_id', 'seconds'], optional: ['success'] },
  { names: named('Review', ['Started', 'Submitted', 'Edited', 'Deleted', 'Reported']), type: 'user_content', required: ['item_id', 'rating'], optional: ['success'] },
  { names: named('Comment', ['Posted', 'Edited', 'Deleted', 'Liked', 'Reported']), type: 'user_content', required: ['item_id'], optional: ['position', 'success'] },
  { names: named('Shared via', ['Facebook', 'Twitter', 'Email', 'Link', 'SMS']), type: 'social', required: ['item_id', 'screen'], optional: ['success'] },
  { names: named('Friend', ['Invited', 'Added', 'Removed', 'Blocked', 'Followed']), type: 'social', required: ['success'], optional: ['screen'] },
  { names: named('Setting Changed', ['Theme', 'Language', 'Notifications', 'Privacy', 'Units']), type: 'user_preference', required: ['theme', 'success'], optional: ['screen'] },
  { names: named('Wishlist', ['Viewed', 'Item Added', 'Item Removed', 'Shared', 'Cleared']), type: 'user_preference', required: ['item_id'], optional: ['position'] },
  { names: named('Coupon', ['Viewed', 'Applied', 'Removed', 'Rejected', 'Expired']), type: 'transaction', required: ['coupon', 'discount'], optional: ['success'] },
  { names: named('Payment Method', ['Added', 'Removed', 'Selected', 'Failed', 'Verified']), type: 'transaction', required: ['success'], optional: ['screen', 'position'] },
  { names: named('Store Locator', ['Opened', 'Searched', 'Store Selected', 'Directions', 'Called']), type: 'location', required: ['query', 'results'], optional: ['position'] },
  { names: named('Onboarding Step', ['1', '2', '3', '4', '5']), type: 'other', required: ['success', 'seconds'], optional: ['button'] },
];

const PLANNED_SCREENS = [...SCREENS, 'Wishlist', 'Orders', 'Help'] as const;
const PLANNED_ACTIONS = ['view_detail', 'add_to_cart', 'remove_from_cart', 'checkout', 'purchase', 'refund'] as const;
/** Product actions Quanta accepts but the plan does not list. */
const UNPLANNED_ACTION = 'add_to_wishlist';

/** The JSON Schema of an event's `data.custom_attributes`: closed, with its required attributes. */
function attributesSchema(required: readonly AttributeName[], optional: readonly AttributeName[]): Schema {
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries([...required, ...optional].map((a) => [a, ATTRIBUTES[a].schema])),
    required: [...required],
  };
}

const eventSchema = (data: Schema, required: string[] = []): Schema => ({
  type: 'object',
  properties: { data: { type: 'object', additionalProperties: true, properties: data, required } },
  required: ['data'],
});

const COMMERCE_ATTRIBUTES: AttributeName[] = ['campaign'];
const SCREEN_REQUIRED: AttributeName[] = ['section'];
const SCREEN_OPTIONAL: AttributeName[] = ['referrer'];

function productActionSchema(action: string): Schema {
  const money = { type: 'number', minimum: 0 };
  return eventSchema(
    {
      currency_code: { type: 'string', enum: ['USD', 'EUR', 'GBP'] },
      custom_attributes: attributesSchema(COMMERCE_ATTRIBUTES, []),
      product_action: {
        type: 'object',
        additionalProperties: true,
        required: ['action', 'transaction_id', 'products'],
        properties: {
          action: { const: action },
          transaction_id: { type: 'string', pattern: '^tx-[0-9a-f]{10}$' },
          total_amount: money,
          tax_amount: money,
          products: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['id', 'price', 'quantity'],
              properties: {
                id: { type: 'string', pattern: '^sku-[0-9]+$' },
                name: { type: 'string' },
                price: money,
                total_product_amount: money,
                quantity: { type: 'integer', minimum: 1, maximum: 100 },
              },
            },
          },
        },
      },
    },
    ['product_action', 'custom_attributes'],
  );
}

/** The version document: 100 data points, unplanned events and attributes blocked. */
export function benchPlanDocument(): DataPlanDocument {
  const points: DataPlanPoint[] = [];
  for (const f of FAMILIES) {
    for (const name of f.names) {
      points.push({
        description: `${name} (${f.type})`,
        match: { type: 'custom_event', criteria: { event_name: name, custom_event_type: f.type } },
        validator: { type: 'json_schema', definition: eventSchema({ custom_attributes: attributesSchema(f.required, f.optional) }, ['custom_attributes']) },
      });
    }
  }
  for (const screen of PLANNED_SCREENS) {
    points.push({
      match: { type: 'screen_view', criteria: { screen_name: screen } },
      validator: { type: 'json_schema', definition: eventSchema({ custom_attributes: attributesSchema(SCREEN_REQUIRED, SCREEN_OPTIONAL) }, ['custom_attributes']) },
    });
  }
  for (const action of PLANNED_ACTIONS) {
    points.push({ match: { type: 'product_action', criteria: { action } }, validator: { type: 'json_schema', definition: productActionSchema(action) } });
  }
  points.push(
    { match: { type: 'session_start' }, validator: { type: 'json_schema', definition: eventSchema({ session_start_unixtime_ms: { type: 'integer' } }) } },
    {
      match: { type: 'session_end' },
      validator: { type: 'json_schema', definition: eventSchema({ session_duration_ms: { type: 'integer', minimum: 0 } }, ['session_duration_ms']) },
    },
    {
      match: { type: 'user_attributes' },
      validator: {
        type: 'json_schema',
        definition: {
          type: 'object',
          additionalProperties: false,
          properties: {
            plan: { type: 'string', enum: [...PLANS] },
            country: { type: 'string', enum: [...COUNTRIES] },
            age: { type: 'integer', minimum: 13, maximum: 120 },
            newsletter: { type: 'boolean' },
            tags: { type: 'array', maxItems: 3, items: { type: 'string', enum: ['a', 'b', 'c'] } },
          },
        },
      },
    },
    {
      match: { type: 'user_identities' },
      validator: {
        type: 'json_schema',
        definition: {
          type: 'object',
          additionalProperties: false,
          properties: { customer_id: { type: 'string', pattern: '^cust-[0-9]+$' }, email: { type: 'string', pattern: '^[^@]+@[^@]+$' } },
          required: ['customer_id'],
        },
      },
    },
  );
  return {
    data_points: points,
    settings: { validation_actions: { event: 'drop_event', event_attribute: 'drop_attribute', user_attribute: 'drop_attribute' } },
  };
}

/** `POST /platform/v2/workspaces/{ws}/plans` body: the plan with its version 1 active in production. */
export function benchPlanBody(): Record<string, unknown> {
  return {
    data_plan_id: BENCH_PLAN_ID,
    data_plan_name: 'Quanta ingest benchmark',
    data_plan_description: 'Created by npm run bench -- ingest --plan',
    data_plan_versions: [
      {
        version: BENCH_PLAN_VERSION,
        version_description: '100 data points; unplanned events and attributes blocked',
        activated_environment: 'production',
        version_document: benchPlanDocument(),
      },
    ],
  };
}

function customAttributes(rand: Rand, required: readonly AttributeName[], optional: readonly AttributeName[], wrongType: boolean) {
  const attrs: Record<string, unknown> = {};
  for (const a of required) attrs[a] = ATTRIBUTES[a].value(rand);
  for (const a of optional) if (rand() < 0.7) attrs[a] = ATTRIBUTES[a].value(rand);
  if (wrongType) {
    const a = pick(rand, required);
    attrs[a] = ATTRIBUTES[a].wrong(rand);
  }
  return attrs;
}

/** Adds the attribute no data point declares. */
const withUnplanned = (attrs: Record<string, unknown>, rand: Rand) => ({ ...attrs, experiment: pick(rand, ['A', 'B']) });

function plannedEvent(rand: Rand, ts: number): GeneratedEvent {
  const violation = rand() < EVENT_VIOLATION_RATE ? pick(rand, EVENT_VIOLATIONS) : undefined;
  const wrongType = violation === 'wrong_type';
  const finish = (attrs: Record<string, unknown>) => (violation === 'unplanned_attribute' ? withUnplanned(attrs, rand) : attrs);
  const made = (event: Record<string, unknown>): GeneratedEvent => (violation ? { event, violation } : { event });
  // Sessions have no attributes to break, so a violating event is one of the other kinds.
  const kind = violation ? rand() * 0.97 : rand();
  if (kind < 0.5) {
    const family = pick(rand, FAMILIES);
    const name = pick(rand, family.names);
    return made({
      data: {
        custom_event_type: family.type,
        event_name: violation === 'unplanned_event' ? `${name} (beta)` : name,
        custom_attributes: finish(customAttributes(rand, family.required, family.optional, wrongType)),
        timestamp_unixtime_ms: ts,
      },
      event_type: 'custom_event',
    });
  }
  if (kind < 0.77) {
    return made({
      data: {
        screen_name: violation === 'unplanned_event' ? `Promo ${String(digit(rand))}` : pick(rand, PLANNED_SCREENS),
        custom_attributes: finish(customAttributes(rand, SCREEN_REQUIRED, SCREEN_OPTIONAL, wrongType)),
        timestamp_unixtime_ms: ts,
      },
      event_type: 'screen_view',
    });
  }
  if (kind < 0.97) {
    const quantity = 1 + Math.floor(rand() * 3);
    const price = Math.round((5 + rand() * 95) * 100) / 100;
    const total = Math.round(price * quantity * 100) / 100;
    const tax = Math.round(total * 0.08 * 100) / 100;
    const sku = Math.floor(rand() * 500);
    return made({
      data: {
        product_action: {
          action: violation === 'unplanned_event' ? UNPLANNED_ACTION : pick(rand, PLANNED_ACTIONS),
          transaction_id: `tx-${hex(rand, 10).toLowerCase()}`,
          total_amount: Math.round((total + tax) * 100) / 100,
          products: [{ id: `sku-${sku}`, name: `Widget ${sku}`, price, total_product_amount: total, quantity }],
          tax_amount: tax,
        },
        currency_code: 'USD',
        custom_attributes: finish(customAttributes(rand, COMMERCE_ATTRIBUTES, [], wrongType)),
        timestamp_unixtime_ms: ts,
      },
      event_type: 'commerce_event',
    });
  }
  if (kind < 0.985) return made({ data: { session_start_unixtime_ms: ts, timestamp_unixtime_ms: ts }, event_type: 'session_start' });
  return made({ data: { session_duration_ms: Math.floor(rand() * 900_000), timestamp_unixtime_ms: ts }, event_type: 'session_end' });
}

/**
 * Batches whose events come from the plan's data points, about {@link EVENT_VIOLATION_RATE} of
 * them breaking it, and {@link USER_ATTRIBUTE_VIOLATION_RATE} of batches with an unplanned user
 * attribute. With `context`, each batch names the plan; without, the same batches name none.
 */
export function plannedShape(context?: { data_plan: { plan_id: string; plan_version: number } }): BatchShape {
  return {
    event: plannedEvent,
    extraUserAttributes: (rand) =>
      rand() < USER_ATTRIBUTE_VIOLATION_RATE ? { attributes: { favourite_colour: pick(rand, ['red', 'green', 'blue']) }, violation: 'unplanned_user_attribute' } : undefined,
    ...(context ? { context } : {}),
  };
}

export const benchPlanContext = () => ({ data_plan: { plan_id: BENCH_PLAN_ID, plan_version: BENCH_PLAN_VERSION } });

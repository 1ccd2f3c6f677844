/**
 * OpenAPI schemas of the Audiences Platform API (Quanta's v2 under
 * `/platform/v2/workspaces/{workspaceId}/audiences`, and mParticle's documented v1 calls), for
 * `/openapi.json`: the service checks bodies with `parseAudienceDefinition`, which is what these
 * schemas describe.
 */
import { MAX_ID } from '../kernel/ids.ts';
import { CUSTOM_EVENT_TYPES, EVENT_TYPES, PRODUCT_ACTIONS } from '../model/event-types.ts';
import { workspaceIdParam } from '../server/path-params.ts';
import { KINDS, MAX_NAME_LENGTH } from './audience-service.ts';
import {
  AUDIENCE_OPERATORS,
  CONSENT_REGULATIONS,
  COUNT_OPERATORS,
  DATE_OPERATORS,
  DEVICE_FIELDS,
  IDENTITY_OPERATORS,
  LIST_OPERATORS,
  MAX_CONDITIONS,
  NODE_KINDS,
  NUMBER_OPERATORS,
  RANGE_OPERATORS,
  TIME_UNITS,
  VALUELESS_OPERATORS,
} from './definition.ts';
import { MAX_COUNT } from './parse-definition.ts';
// The shared pieces of route schemas, here beside this API's own for its routes.
export { errors, noContent } from '../server/error-body.schema.ts';
export { accountQuery } from '../server/path-params.ts';

const quoted = (values: readonly string[]) => values.map((v) => `"${v}"`).join(', ');
const isoTime = { type: 'string', format: 'date-time' };
const nullableIso = { ...isoTime, nullable: true };

// ---------------------------------------------------------------- the definition tree

const day = {
  type: 'string',
  description: 'A date, "YYYY-MM-DD" (the start of that UTC day), or an ISO 8601 instant',
  examples: ['2026-01-01'],
};

const recency = {
  type: 'object',
  required: ['value', 'unit'],
  additionalProperties: false,
  description: 'A recency window: the last `value` units (a day is 24 hours), at most 3650 days',
  properties: {
    value: { type: 'integer', minimum: 1 },
    unit: { type: 'string', enum: Object.keys(TIME_UNITS) },
  },
  examples: [{ value: 30, unit: 'days' }],
};

const conditionValue = {
  description:
    `What the operator compares with. No value for ${quoted(VALUELESS_OPERATORS)}; [low, high] (two numbers or two dates, low first, inclusive) for ${quoted(RANGE_OPERATORS)}; ` +
    `a number for ${quoted(NUMBER_OPERATORS)}; a date ("YYYY-MM-DD" or ISO 8601) for ${quoted(DATE_OPERATORS)}; ` +
    `a string for "contains", "not_contains", "pattern" (* any characters, ? one) and the list operators ${quoted(LIST_OPERATORS)}; ` +
    'a string, number or boolean for "equals" and "not_equals". Strings match whatever their case.',
  nullable: true,
  oneOf: [
    { type: 'string' },
    { type: 'number' },
    { type: 'boolean' },
    { type: 'array', minItems: 2, maxItems: 2, items: { oneOf: [{ type: 'string' }, { type: 'number' }] } },
  ],
  examples: ['gold'],
};

const operator = { type: 'string', enum: [...AUDIENCE_OPERATORS], description: 'How the value named is tested' };

/** A condition over a named value: an event attribute, a user attribute, a calculated attribute. */
const conditionSchema = {
  type: 'object',
  required: ['name', 'operator'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, description: 'The attribute tested' },
    operator,
    value: conditionValue,
  },
  examples: [
    { name: 'tier', operator: 'equals', value: 'gold' },
    { name: 'age', operator: 'between', value: [18, 34] },
    { name: 'email', operator: 'exists' },
    { name: 'signup_date', operator: 'after', value: '2025-06-01' },
    { name: 'favourite_genres', operator: 'includes', value: 'jazz' },
  ],
};

/** Where `and`, `or` and `not` hold nodes: this same schema, any kind, nested as deep as needed. */
const childNode = { type: 'object', description: `A node of the definition tree: exactly one of ${quoted(NODE_KINDS)}` };

const node = (kind: string, description: string, body: object, example: object) => ({
  type: 'object',
  title: kind,
  description,
  required: [kind],
  additionalProperties: false,
  properties: { [kind]: body },
  examples: [example],
});

const EXAMPLE_EVENT = {
  event: {
    event_type: 'commerce_event',
    product_action: 'purchase',
    attributes: [{ name: 'category', operator: 'equals', value: 'shoes' }],
    count: { operator: 'at_least', value: 2 },
    within: { value: 30, unit: 'days' },
  },
};
const EXAMPLE_GOLD = { user_attribute: { name: 'tier', operator: 'equals', value: 'gold' } };

const eventSchema = {
  type: 'object',
  required: ['event_type'],
  additionalProperties: false,
  properties: {
    event_type: { type: 'string', enum: [...EVENT_TYPES] },
    event_name: { type: 'string', nullable: true, description: 'Only events of this name (a custom event, a screen view...)' },
    custom_event_type: { type: 'string', nullable: true, enum: [...CUSTOM_EVENT_TYPES], description: 'custom_event only' },
    product_action: { type: 'string', nullable: true, enum: [...PRODUCT_ACTIONS], description: 'commerce_event only' },
    attributes: { type: 'array', items: conditionSchema, description: "Conditions every counted event's attributes meet" },
    count: {
      type: 'object',
      required: ['operator', 'value'],
      additionalProperties: false,
      description: 'How many matching events the user did (default: at least 1)',
      properties: { operator: { type: 'string', enum: [...COUNT_OPERATORS] }, value: { type: 'integer', minimum: 0, maximum: MAX_COUNT } },
      examples: [{ operator: 'at_least', value: 1 }],
    },
    within: { ...recency, description: 'Only events this recent' },
    after: { ...day, description: 'Only events at or after this date (inclusive)' },
    before: { ...day, description: 'Only events before this date (not inclusive); after "after"' },
  },
};

/** One node of a definition, as a create or an update sends it and every read answers it. */
export const definitionNodeSchema = {
  description:
    `An audience definition: a tree whose every node is an object with exactly one key, its kind (${quoted(NODE_KINDS)}). ` +
    '`and`, `or` combine child nodes, `not` negates one; the other kinds are criteria (leaves), at most ' +
    `${MAX_CONDITIONS} per definition. An invalid definition is a 400 naming each problem by its path (definition.and[1].event.count.value: ...).`,
  oneOf: [
    node('and', 'Every child node holds', { type: 'array', minItems: 1, items: childNode }, { and: [EXAMPLE_GOLD, EXAMPLE_EVENT] }),
    node('or', 'At least one child node holds', { type: 'array', minItems: 1, items: childNode }, {
      or: [EXAMPLE_GOLD, { user_attribute: { name: 'tier', operator: 'equals', value: 'platinum' } }],
    }),
    node('not', 'The child node does not hold', childNode, { not: { identity: { type: 'email', operator: 'exists' } } }),
    node('event', 'The user did matching events, this often, this recently', eventSchema, EXAMPLE_EVENT),
    node('user_attribute', "A condition on one of the user's attributes", conditionSchema, EXAMPLE_GOLD),
    node('calculated_attribute', "A condition on one of the user's calculated attribute values", conditionSchema, {
      calculated_attribute: { name: 'Lifetime Spend', operator: 'greater_than', value: 500 },
    }),
    node(
      'identity',
      'A condition on one of the user identities',
      {
        type: 'object',
        required: ['type', 'operator'],
        additionalProperties: false,
        properties: {
          type: { type: 'string', description: 'An identity type, as the Identity API names it (customer_id, email, ios_idfa, ...)' },
          operator: { type: 'string', enum: [...IDENTITY_OPERATORS] },
          value: { type: 'string', nullable: true, description: 'None for exists / not_exists; a string otherwise' },
        },
      },
      { identity: { type: 'email', operator: 'pattern', value: '*@example.com' } },
    ),
    node(
      'audience',
      'The user is (member: true, the default) or is not a member of another audience of the workspace; no chain of them may lead back to this one',
      {
        type: 'object',
        required: ['id'],
        additionalProperties: false,
        properties: { id: { type: 'integer', description: 'An audience of this workspace' }, member: { type: 'boolean', default: true } },
      },
      { audience: { id: 41, member: false } },
    ),
    node(
      'consent',
      "The user's consent state: a GDPR purpose, or CCPA data sale opt-out",
      {
        type: 'object',
        required: ['regulation', 'consented'],
        additionalProperties: false,
        properties: {
          regulation: { type: 'string', enum: [...CONSENT_REGULATIONS] },
          purpose: { type: 'string', description: 'gdpr only: the consent purpose' },
          consented: { type: 'boolean' },
        },
      },
      { consent: { regulation: 'gdpr', purpose: 'marketing', consented: true } },
    ),
    node(
      'first_seen',
      'When the user was first seen: within a window, after and/or before a date (at least one of them)',
      { type: 'object', additionalProperties: false, minProperties: 1, properties: { within: recency, after: day, before: day } },
      { first_seen: { within: { value: 7, unit: 'days' } } },
    ),
    node(
      'device',
      "A condition on a field of the user's device",
      {
        type: 'object',
        required: ['field', 'operator'],
        additionalProperties: false,
        properties: { field: { type: 'string', enum: [...DEVICE_FIELDS] }, operator, value: conditionValue },
      },
      { device: { field: 'platform', operator: 'equals', value: 'iOS' } },
    ),
  ],
};

// ---------------------------------------------------------------- v2: audiences

const DEFINITION_EXAMPLE = {
  and: [
    EXAMPLE_GOLD,
    EXAMPLE_EVENT,
    { not: { audience: { id: 41, member: true } } },
    { consent: { regulation: 'gdpr', purpose: 'marketing', consented: true } },
  ],
};

const AUDIENCE_EXAMPLE = {
  id: 42,
  name: 'Gold shoe buyers',
  description: 'Gold members who bought shoes twice in the last 30 days',
  kind: 'realtime',
  definition: DEFINITION_EXAMPLE,
  created_on: '2026-01-05T10:12:00.000Z',
  created_by: 'client_id:qc_4f1b2c3d4e5f6a7b8c9d0e1f',
  last_modified_on: '2026-01-06T08:00:00.000Z',
  last_modified_by: 'client_id:qc_4f1b2c3d4e5f6a7b8c9d0e1f',
  is_active: true,
  activated_on: '2026-01-06T08:05:00.000Z',
};

const utcDay = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD (UTC)' };
const dateRangeBody = {
  type: 'object',
  nullable: true,
  description: "Standard audiences only: the events to calculate over, UTC days, both inclusive; either end null (open). Left out or null: all the data",
  properties: { start: { ...utcDay, nullable: true }, end: { ...utcDay, nullable: true } },
};

const audienceProperties = {
  id: { type: 'integer', readOnly: true },
  name: { type: 'string', maxLength: MAX_NAME_LENGTH, description: 'Unique in the workspace, whatever its case' },
  description: { type: 'string', nullable: true },
  kind: {
    type: 'string',
    enum: [...KINDS],
    description: 'realtime: kept current as events arrive; standard: computed on demand over the event store. Fixed once created',
  },
  definition: definitionNodeSchema,
  date_range: {
    type: 'object',
    nullable: true,
    description: "A standard audience's: the events it is calculated over, UTC days, both inclusive; either end null (open). Null: all the data. Left out of real-time audiences",
    properties: { start: { ...utcDay, nullable: true }, end: { ...utcDay, nullable: true } },
  },
  created_on: { ...isoTime, readOnly: true },
  created_by: { type: 'string', readOnly: true, description: 'client_id:<the API client>' },
  last_modified_on: { ...nullableIso, readOnly: true },
  last_modified_by: { type: 'string', nullable: true, readOnly: true },
  is_active: { type: 'boolean', readOnly: true, description: 'Whether it is populated: set by activation' },
  activated_on: { ...nullableIso, readOnly: true },
};

export const audienceSchema = { type: 'object', properties: audienceProperties, examples: [AUDIENCE_EXAMPLE] };
export const audienceListSchema = { type: 'array', items: { type: 'object', properties: audienceProperties }, examples: [[AUDIENCE_EXAMPLE]] };

/** The body of a create (POST) or a replacement (PUT). */
const bodyProperties = {
  name: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH, description: 'Unique in the workspace, whatever its case' },
  description: { type: 'string', nullable: true, description: 'Left out: none (a PUT replaces every field)' },
  kind: { type: 'string', enum: [...KINDS], default: 'realtime', description: 'Fixed once created: a PUT may repeat it, not change it' },
  definition: definitionNodeSchema,
  date_range: dateRangeBody,
};
export const createBodySchema = {
  type: 'object',
  required: ['name', 'definition'],
  properties: bodyProperties,
  examples: [
    { name: 'Gold shoe buyers', description: 'Gold members who bought shoes twice in the last 30 days', definition: { and: [EXAMPLE_GOLD, EXAMPLE_EVENT] } },
    {
      name: 'Gold members who ever bought shoes in 2025',
      kind: 'standard',
      date_range: { start: '2025-01-01', end: '2025-12-31' },
      definition: { and: [EXAMPLE_GOLD, { event: { event_type: 'commerce_event', product_action: 'purchase' } }] },
    },
  ],
};
export const updateBodySchema = {
  ...createBodySchema,
  examples: [{ name: 'Gold or platinum shoe buyers', kind: 'realtime', definition: { and: [{ or: [EXAMPLE_GOLD, { user_attribute: { name: 'tier', operator: 'equals', value: 'platinum' } }] }, EXAMPLE_EVENT] } }],
};

export const activationSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    is_active: { type: 'boolean' },
    revision: { type: 'integer', description: 'Grows at each activation and each change of an active definition: memberships belong to one revision' },
    calculation: {
      type: 'object',
      nullable: true,
      description:
        "The current revision's calculation: a real-time audience's initial one over existing users, a standard audience's whole one (its query over the event store); null before the first activation",
      properties: {
        status: { type: 'string', enum: ['calculating', 'calculated'] },
        progress_percent: { type: 'number', description: "A standard audience's: how far its query has come (0-100)" },
        users_done: { type: 'integer' },
        users_total: { type: 'integer', nullable: true, description: 'Null until the processor has counted them' },
        started_at: isoTime,
        completed_at: nullableIso,
      },
    },
  },
  examples: [
    {
      id: 42,
      is_active: true,
      revision: 2,
      calculation: { status: 'calculating', users_done: 1200, users_total: 50000, started_at: '2026-01-06T08:05:00.000Z', completed_at: null },
    },
  ],
};

const mpidText = { type: 'string', pattern: '^-?\\d{1,20}$', description: 'An MPID: a signed 64-bit integer, in decimal' };

export const membersSchema = {
  type: 'object',
  properties: {
    audience_id: { type: 'integer' },
    members: {
      type: 'array',
      items: { type: 'object', properties: { mpid: mpidText, added_at: { ...isoTime, description: 'When the user joined' } } },
    },
    next_after: { ...mpidText, nullable: true, description: "The next page's `after`; null on the last page" },
  },
  examples: [
    {
      audience_id: 42,
      members: [
        { mpid: '-8767632104857293810', added_at: '2026-01-06T08:06:10.000Z' },
        { mpid: '3421764350928467345', added_at: '2026-01-06T09:41:02.000Z' },
      ],
      next_after: '3421764350928467345',
    },
  ],
};

export const sizeSchema = {
  type: 'object',
  properties: {
    audience_id: { type: 'integer' },
    size: { type: 'integer', description: 'Current members; with estimate=true, the estimated members' },
    estimate: { type: 'boolean', description: 'Present (true) on an estimate' },
    sample_percent: { type: 'integer', description: "An estimate's share of users decided (100 in a workspace of up to 10,000 users)" },
    sampled_users: { type: 'integer' },
    sampled_members: { type: 'integer' },
    too_small: { type: 'boolean', description: 'Fewer than 10 members in the sample: the audience is too small, relative to all users, for a meaningful estimate' },
  },
  examples: [
    { audience_id: 42, size: 3120 },
    { audience_id: 42, size: 3090, estimate: true, sample_percent: 10, sampled_users: 5012, sampled_members: 310, too_small: false },
  ],
};

export const sizeQuery = {
  type: 'object',
  properties: {
    estimate: {
      type: 'boolean',
      default: false,
      description: "true: estimate the size from a sample of the event store's users (one in ten), deciding the definition over their history, active or not, as the audience estimator does",
    },
  },
};

// ---------------------------------------------------------------- params and queries

/** An audience id in a path: plain digits, 1 to 2^53 - 1 (anything else is a 400 naming it). */
const audienceIdParam = { type: 'integer', minimum: 1, maximum: MAX_ID, description: 'The audience id', examples: [42] } as const;
const workspaceParam = { workspaceId: { ...workspaceIdParam, description: 'The workspace holding the audiences', examples: [1] } };
export const workspaceParams = { type: 'object', required: ['workspaceId'], properties: workspaceParam };
export const audienceParams = { type: 'object', required: ['workspaceId', 'id'], properties: { ...workspaceParam, id: audienceIdParam } };
export const v1AudienceParams = { type: 'object', required: ['id'], properties: { id: audienceIdParam } };

export const nameQuery = {
  type: 'object',
  properties: { name: { type: 'string', description: 'Only the audience of this name (whatever its case)', examples: ['Gold shoe buyers'] } },
};

export const MAX_PAGE = 1000;
export const membersQuery = {
  type: 'object',
  properties: {
    after: { type: 'string', description: 'Members after this MPID (the previous page\'s next_after); from the first without it', examples: ['3421764350928467345'] },
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 100, description: 'Members per page', examples: [100] },
  },
};


// ---------------------------------------------------------------- v1

const V1_AUDIENCE_EXAMPLE = {
  id: 42,
  name: 'Gold shoe buyers',
  external_name: 'Gold shoe buyers',
  size: 3120,
  created_by: 'client_id:qc_4f1b2c3d4e5f6a7b8c9d0e1f',
  last_modified_by: 'client_id:qc_4f1b2c3d4e5f6a7b8c9d0e1f',
  last_modified_on: '2026-01-06T08:00:00.000Z',
  is_calculated: true,
  status: 'active',
  workspaces: [{ id: 1, data_type: 'workspace' }],
  connected_outputs: [],
  data_type: 'audience',
};

export const v1ListSchema = {
  type: 'object',
  description: "mParticle's Platform API v1 envelope",
  properties: {
    data: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'integer' },
          name: { type: 'string' },
          external_name: { type: 'string', description: 'The name outputs see (the name: Quanta has no separate one)' },
          size: { type: 'integer' },
          created_by: { type: 'string' },
          last_modified_by: { type: 'string', nullable: true },
          last_modified_on: nullableIso,
          is_calculated: { type: 'boolean', description: 'Whether boolean logic (and / or / not) combines its criteria' },
          status: { type: 'string', enum: ['active', 'draft'], description: 'active once activated; draft before' },
          workspaces: { type: 'array', items: { type: 'object', properties: { id: { type: 'integer' }, data_type: { type: 'string', enum: ['workspace'] } } } },
          connected_outputs: { type: 'array', items: { type: 'object' }, description: 'The outputs it is connected to (none yet: Quanta has no audience outputs)' },
          data_type: { type: 'string', enum: ['audience'] },
        },
      },
    },
    dataType: { type: 'string', enum: ['audience'] },
    errors: { type: 'array', items: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } },
  },
  examples: [{ data: [V1_AUDIENCE_EXAMPLE], dataType: 'audience', errors: [] }],
};



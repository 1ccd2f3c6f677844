/**
 * OpenAPI schemas of the connections Platform API (outputs, connections, rules, dead letters
 * under `/platform/v2/workspaces/{workspaceId}/...`, and mParticle's `GET /v1/services`), for
 * `/openapi.json`. The service checks bodies itself (every problem named by its path); these
 * schemas describe them.
 */
import { MAX_ID } from '../kernel/ids.ts';
import { workspaceIdParam } from '../server/path-params.ts';
import { ENVIRONMENTS } from './connection-config.ts';
// The shared pieces of route schemas, here beside this API's own for its routes.
export { errors, noContent } from '../server/error-body.schema.ts';
export { accountQuery } from '../server/path-params.ts';

const isoTime = { type: 'string', format: 'date-time' };
const id = (what: string) => ({ type: 'integer', minimum: 1, maximum: MAX_ID, description: `The ${what} id`, examples: [7] }) as const;
const workspaceParam = { workspaceId: { ...workspaceIdParam, description: 'The workspace', examples: [1] } };

export const workspaceParams = { type: 'object', required: ['workspaceId'], properties: workspaceParam };
export const itemParams = { type: 'object', required: ['workspaceId', 'id'], properties: { ...workspaceParam, id: id('item') } };
export const serviceParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', description: 'The service (output kind) name', examples: ['webhook'] } } };

// ---------------------------------------------------------------- outputs

const OUTPUT_EXAMPLE = {
  id: 7,
  name: 'Order events webhook',
  kind: 'webhook',
  settings: { url: 'https://hooks.example.com/mparticle', authorization_header: '***********9f2a', send_as_batch: true, include_metadata: true },
  created_at: '2026-12-03T09:00:00.000Z',
  updated_at: '2026-12-03T09:00:00.000Z',
};
const settingsSchema = {
  type: 'object',
  additionalProperties: true,
  description: 'The kind\'s settings (GET /v1/services lists them). Confidential ones are answered masked; send a masked value back unchanged to keep it.',
};
export const outputSchema = {
  type: 'object',
  properties: { id: { type: 'integer' }, name: { type: 'string' }, kind: { type: 'string' }, settings: settingsSchema, created_at: isoTime, updated_at: isoTime },
  examples: [OUTPUT_EXAMPLE],
};
export const outputListSchema = { type: 'array', items: outputSchema, examples: [[OUTPUT_EXAMPLE]] };
export const outputBodySchema = {
  type: 'object',
  description:
    'An output: a kind and its settings. The kind cannot change on an update. A webhook output with an active connection is also POSTed the workspace\'s DSR erasure requests (unless forward_erasure_requests is false): {"type":"dsr_erasure_request","api_version":"3.0","subject_request_id","subject_request_type":"erasure","regulation","submitted_time","subject_identities":{"<OpenDSR type>":{"value","encoding":"raw"}},"mpids":["<MPID>"],"timestamp_ms"}, answered 2xx to acknowledge it.',
  properties: { name: { type: 'string', maxLength: 100 }, kind: { type: 'string', examples: ['webhook'] }, settings: settingsSchema },
  examples: [{ name: 'Order events webhook', kind: 'webhook', settings: { url: 'https://hooks.example.com/mparticle', authorization_header: 'Bearer s3cr3t-9f2a' } }],
};

// ---------------------------------------------------------------- connections

const filterSchema = {
  type: 'object',
  nullable: true,
  description: 'The data filter: which data points are forwarded; those not listed follow send_new_data_points_by_default.',
  properties: {
    send_new_data_points_by_default: { type: 'boolean' },
    data_points: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          type: { type: 'string', enum: ['event', 'event_attribute', 'user_attribute', 'user_identity'] },
          name: { type: 'string' },
          event_type: { type: 'string' },
          event_name: { type: 'string' },
          enabled: { type: 'boolean' },
        },
      },
    },
  },
  examples: [{ send_new_data_points_by_default: true, data_points: [{ type: 'event', event_type: 'custom_event', name: 'Debug Ping', enabled: false }] }],
};
const CONNECTION_EXAMPLE = {
  id: 3,
  input_id: 1,
  output_id: 7,
  environment: 'production',
  audience_id: null,
  filter: null,
  forwarding_rules: [{ type: 'consent', regulation: 'ccpa', action: 'do_not_forward' }],
  rules: [],
  sampling_percent: 100,
  active: true,
  backfill_from: null,
  created_at: '2026-12-03T09:01:00.000Z',
  updated_at: '2026-12-03T09:01:00.000Z',
};
const connectionProperties = {
  input_id: { type: 'integer', description: 'The input whose data it takes (default: the workspace\'s bootstrap input)' },
  output_id: { type: 'integer', description: 'The output it delivers to (required on create)' },
  environment: { type: 'string', enum: [...ENVIRONMENTS], description: 'The data it takes (default "all")' },
  audience_id: { type: 'integer', nullable: true, description: 'Audience connections are not delivered yet: leave it out' },
  filter: filterSchema,
  forwarding_rules: {
    type: 'array',
    description: 'Attribute, consent (GDPR purpose or CCPA), logged-in and attribution rules, as the connections guide lists them',
    items: { type: 'object' },
  },
  rules: { type: 'array', items: { type: 'integer' }, description: 'Ids of JavaScript rules run for this connection, in order' },
  sampling_percent: { type: 'integer', description: 'The share of users forwarded (default 100); the same users always' },
  active: { type: 'boolean', description: 'Default true' },
  backfill_from: { ...isoTime, nullable: true, description: 'On create: deliver the stream from this time on (as far back as its retention)' },
};
export const connectionSchema = {
  type: 'object',
  properties: { id: { type: 'integer' }, ...connectionProperties, created_at: isoTime, updated_at: isoTime },
  examples: [CONNECTION_EXAMPLE],
};
export const connectionListSchema = { type: 'array', items: connectionSchema, examples: [[CONNECTION_EXAMPLE]] };
export const connectionBodySchema = {
  type: 'object',
  properties: connectionProperties,
  examples: [{ output_id: 7, environment: 'production', forwarding_rules: [{ type: 'logged_in' }], sampling_percent: 50 }],
};
export const statusSchema = {
  type: 'object',
  properties: {
    connection_id: { type: 'integer' },
    active: { type: 'boolean' },
    sent: { type: 'integer', description: 'Batches delivered' },
    filtered: { type: 'integer', description: 'Batches not forwarded (environment, input, sampling, rules, filter, the output\'s own switches)' },
    failed: { type: 'integer', description: 'Requests that failed, counting each try' },
    retried: { type: 'integer', description: 'Requests tried again' },
    pending: { type: 'integer', description: 'Batches of the workspace waiting for this connection' },
    dead_lettered: { type: 'integer', description: 'Batches given up on, kept as dead letters' },
    oldest_pending_age_seconds: { type: 'number', nullable: true },
    last_error: { type: 'object', nullable: true, properties: { at: isoTime, message: { type: 'string' } } },
    recent_errors: { type: 'array', description: 'The last 10 failures since Quanta started, newest last', items: { type: 'object', properties: { at: isoTime, message: { type: 'string' } } } },
    backfill: { type: 'object', description: 'For a connection created with backfill_from', properties: { from: isoTime, percent: { type: 'integer' } } },
  },
  examples: [
    {
      connection_id: 3, active: true, sent: 1200, filtered: 14, failed: 3, retried: 3, pending: 0, dead_lettered: 0, oldest_pending_age_seconds: null,
      last_error: { at: '2026-12-03T09:30:00.000Z', message: 'https://hooks.example.com/mparticle answered 503' },
      recent_errors: [{ at: '2026-12-03T09:30:00.000Z', message: 'https://hooks.example.com/mparticle answered 503' }],
    },
  ],
};
export const deadLettersQuery = {
  type: 'object',
  properties: { after: { type: 'integer', minimum: 0, description: 'The last id of the previous page' }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
};
export const deadLettersSchema = {
  type: 'object',
  properties: {
    data: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'integer' }, idempotency_key: { type: 'string' }, batches: { type: 'integer' }, mpids: { type: 'array', items: { type: 'string' } },
          error: { type: 'string' }, attempts: { type: 'integer' }, created_at: isoTime,
        },
      },
    },
    next_after: { type: 'integer', nullable: true },
  },
  examples: [{ data: [{ id: 1, idempotency_key: '3-1041-1041', batches: 1, mpids: ['-8036251953298632917'], error: 'https://hooks.example.com answered 400: bad payload', attempts: 1, created_at: '2026-12-03T09:31:00.000Z' }], next_after: null }],
};
export const replayBodySchema = {
  type: 'object',
  nullable: true,
  properties: { ids: { type: 'array', items: { type: 'integer' } } },
  examples: [{}, { ids: [1, 2] }],
};
export const replaySchema = {
  type: 'object',
  properties: { replayed: { type: 'integer' }, delivered: { type: 'integer' }, failed: { type: 'integer' } },
  examples: [{ replayed: 2, delivered: 2, failed: 0 }],
};

// ---------------------------------------------------------------- rules

const RULE_CODE = 'exports.handler = (batch, context, callback) => {\n  batch.user_attributes.source = "quanta";\n  callback(batch);\n};';
const RULE_EXAMPLE = {
  id: 2, name: 'Tag source', code: RULE_CODE, failure_action: 'proceed', timeout_ms: 200, scope: 'connection',
  status: 'ok', runs: 1200, errors: 0, timeouts: 0, dropped: 0, last_errors: [],
  created_at: '2026-12-03T09:00:00.000Z', updated_at: '2026-12-03T09:00:00.000Z',
};
export const ruleBodySchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    code: { type: 'string', description: 'JavaScript setting exports.handler = (batch, context, callback) => ...; callback(null) drops the batch' },
    failure_action: { type: 'string', enum: ['proceed', 'discard'], description: 'When the rule throws or times out: pass the batch on unmodified, or drop it' },
    timeout_ms: { type: 'integer', minimum: 1, maximum: 5000, default: 200 },
    scope: { type: 'string', enum: ['all_outputs', 'connection'], description: 'all_outputs: run for every connection of the workspace; connection (default): for the connections naming it' },
  },
  examples: [{ name: 'Tag source', code: RULE_CODE, failure_action: 'proceed' }],
};
export const ruleSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, ...ruleBodySchema.properties, status: { type: 'string', enum: ['ok', 'failing'] },
    runs: { type: 'integer' }, errors: { type: 'integer' }, timeouts: { type: 'integer' }, dropped: { type: 'integer' },
    last_errors: { type: 'array', items: { type: 'object', properties: { at: isoTime, message: { type: 'string' } } } },
    created_at: isoTime, updated_at: isoTime,
  },
  examples: [RULE_EXAMPLE],
};
export const ruleListSchema = { type: 'array', items: ruleSchema, examples: [[RULE_EXAMPLE]] };

// ---------------------------------------------------------------- v1 services

const SERVICE_EXAMPLE = {
  name: 'webhook',
  description: 'POSTs your events to an HTTP endpoint in mParticle\'s JSON batch format',
  settings: [{ is_required: true, name: 'url', description: 'The URL to POST your events to', type: 'String' }],
  data_type: 'service',
};
const serviceSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    settings: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          is_required: { type: 'boolean' }, name: { type: 'string' }, description: { type: 'string' }, type: { type: 'string' },
          is_confidential: { type: 'boolean' }, default_value: {}, allowed_values: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    data_type: { type: 'string' },
  },
};
export const servicesSchema = {
  type: 'object',
  properties: { data: { type: 'array', items: serviceSchema }, dataType: { type: 'string' }, errors: { nullable: true } },
  examples: [{ data: [SERVICE_EXAMPLE], dataType: 'service', errors: null }],
};

/** OpenAPI schemas of the Platform API v1 output configurations and feed subscriptions, for `/openapi.json`. */
import { MAX_ID } from '../kernel/ids.ts';
import { workspaceIdParam } from '../server/path-params.ts';
import { CREATED_TYPE, LISTED_TYPE } from './feed-subscriptions.ts';
export { errors } from '../server/error-body.schema.ts';
export { accountQuery } from '../server/path-params.ts';

const text = { type: 'string' } as const;
const workspaceId = { ...workspaceIdParam, description: 'The workspace', examples: [1] };
export const moduleConfigParams = {
  type: 'object',
  required: ['workspaceId', 'module'],
  properties: { workspaceId, module: { type: 'string', description: 'The output kind (GET /v1/services), any case', examples: ['webhook'] } },
};
/** `/v1/partnerfeeds/{id}/subscriptions`: a workspace's id, in the place a feed's takes in the other routes there. */
export const workspaceParams = { type: 'object', required: ['id'], properties: { id: { ...workspaceId, description: 'The workspace whose feeds\' subscriptions to list' } } };
export const feedParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1, maximum: MAX_ID, description: 'The partner feed', examples: [689] } } };

/** These answers' envelope: `data_type`, as mParticle's feed examples spell it. */
const envelope = (dataType: string, item: object, example: object) => ({
  type: 'object',
  properties: { data: { type: 'array', items: item }, data_type: text, errors: { nullable: true } },
  examples: [{ data: [example], data_type: dataType, errors: null }],
});

export const configurationsSchema = envelope(
  'Service Configuration',
  { type: 'object', properties: { id: { type: 'integer' }, name: text, data_type: text, created_on: text } },
  { id: 24020, name: 'Events webhook', data_type: 'Service Configuration', created_on: '2026-02-09T20:54:25.520' },
);

const setting = { type: 'object', properties: { value: { nullable: true }, name: text } };
export const subscriptionsSchema = envelope(
  LISTED_TYPE,
  {
    type: 'object',
    properties: {
      settings: { type: 'array', items: setting, description: 'The connection\'s environment and sampling_percent' },
      is_active: { type: 'boolean' },
      service_configuration_id: { type: 'integer', description: 'The output' },
      config_name: { type: 'string', nullable: true },
      partner_feed_id: { type: 'integer', description: "Quanta's: the feed" },
      data_type: text,
      id: { type: 'integer', description: 'The connection' },
      created_on: text,
    },
  },
  {
    settings: [{ value: 'all', name: 'environment' }, { value: '100', name: 'sampling_percent' }],
    is_active: true,
    service_configuration_id: 24016,
    config_name: 'Events webhook',
    partner_feed_id: 689,
    data_type: LISTED_TYPE,
    id: 24572,
    created_on: '2026-07-16T17:29:54.893',
  },
);

export const subscriptionBodySchema = {
  type: 'object',
  required: ['service_configuration_id'],
  properties: {
    service_configuration_id: { type: 'integer', description: "An output of the feed's workspace" },
    is_active: { type: 'boolean', description: 'Whether the feed\'s data is forwarded (default true)' },
    settings: { type: 'array', items: setting, description: 'environment (production, development, all) and sampling_percent (1-100)' },
  },
  examples: [{ service_configuration_id: 24017, is_active: false, settings: [{ name: 'environment', value: 'production' }] }],
};
export const createdSchema = envelope(CREATED_TYPE, { type: 'object', properties: { data_type: text, id: { type: 'integer' }, created_on: text } }, { data_type: CREATED_TYPE, id: 26368, created_on: '2026-07-16T16:49:31.852' });

/** OpenAPI schemas of the Platform API v1 partner feeds and feed modules, for `/openapi.json`. */
import { MAX_ID } from '../kernel/ids.ts';
import { workspaceIdParam } from '../server/path-params.ts';
import { FEED_OS } from './feed-modules.ts';
// The shared pieces of route schemas, here beside this API's own for its routes.
export { errors, noContent } from '../server/error-body.schema.ts';
export { accountQuery } from '../server/path-params.ts';

const feedId = { type: 'integer', minimum: 1, maximum: MAX_ID, description: 'The feed id', examples: [689] } as const;
const workspaceId = { ...workspaceIdParam, description: 'The workspace', examples: [1] };
export const workspaceParams = { type: 'object', required: ['workspaceId'], properties: { workspaceId } };
export const feedParams = { type: 'object', required: ['workspaceId', 'id'], properties: { workspaceId, id: feedId } };
export const feedIdParams = { type: 'object', required: ['id'], properties: { id: feedId } };
export const moduleParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', examples: ['CleverTap'] } } };

const envelope = (item: object, example: object) => ({
  type: 'object',
  properties: { data: { type: 'array', items: item }, data_type: { type: 'string' }, errors: { nullable: true } },
  examples: [{ data: [example], data_type: 'Partner Feed', errors: null }],
});

export const feedBodySchema = {
  type: 'object',
  properties: {
    module_name: { type: 'string', description: 'The feed module (GET /v1/feedmodules)', examples: ['CleverTap'] },
    name: { type: 'string', description: 'Unique among the workspace\'s inputs' },
    os: { type: 'string', description: `The platform the feed acts as: ${FEED_OS.join(', ')} (any case)` },
    settings: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, value: {} } } },
    is_debug: { type: 'boolean', description: 'Its data is development data' },
  },
  examples: [{ module_name: 'CleverTap', name: 'CleverTap iOS', os: 'iOS', settings: [], is_debug: false }],
};
export const createdSchema = envelope(
  {
    type: 'object',
    properties: {
      data_type: { type: 'string' },
      id: { type: 'integer' },
      created_on: { type: 'string' },
      access_keys: { type: 'array', description: 'On create only: the feed\'s key and secret (the secret is not shown again)', items: { type: 'object', properties: { key: { type: 'string' }, secret: { type: 'string' } } } },
    },
  },
  { data_type: 'Partner Feed', id: 689, created_on: '2026-12-03T09:00:00.000', access_keys: [{ key: 'qf_5a1e0c3b9d2f4e6a8b7c1d0e', secret: '3f9a...' }] },
);
export const feedListSchema = envelope(
  { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' }, data_type: { type: 'string' }, created_on: { type: 'string' } } },
  { id: 689, name: 'CleverTap iOS', data_type: 'partner_feed', created_on: '2026-12-03T09:00:00.000' },
);
export const feedSchema = envelope(
  {
    type: 'object',
    properties: {
      module_name: { type: 'string' }, name: { type: 'string' }, os: { type: 'string' }, is_debug: { type: 'boolean' },
      settings: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, value: { nullable: true } } } },
      data_type: { type: 'string' }, id: { type: 'integer' },
    },
  },
  { module_name: 'CleverTap', name: 'CleverTap iOS', os: 'iOS', is_debug: false, settings: [], data_type: 'Partner Feed', id: 689 },
);
export const modulesSchema = envelope(
  {
    type: 'object',
    properties: {
      name: { type: 'string' }, description: { type: 'string' }, supported_identities: { type: 'array', items: { type: 'string' } },
      settings: { type: 'array', items: { type: 'object' } }, data_type: { type: 'string' },
    },
  },
  { name: 'CleverTap', description: 'CleverTap exports events and user properties to mParticle', supported_identities: ['customer_id', 'email'], settings: [], data_type: 'feed_module' },
);

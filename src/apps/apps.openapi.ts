/** OpenAPI schemas of the Platform API v1 apps, app platforms and their services, for `/openapi.json`. */
import { v1List } from '../accounts/accounts.openapi.ts';
import { MAX_ID } from '../kernel/ids.ts';
import { APP_OS, CRASH_HANDLING, NETWORK_PERFORMANCE, SOCIAL_MODE } from './app-platforms.ts';
export { errors, noContent } from '../server/error-body.schema.ts';
export { accountQuery } from '../server/path-params.ts';
export { v1List };

const text = { type: 'string' } as const;
const appId = { type: 'integer', minimum: 1, maximum: MAX_ID, description: 'The app', examples: [1] } as const;
const os = { type: 'string', description: `The platform, any case: ${APP_OS.join(', ')}`, examples: ['android'] } as const;
export const appParams = { type: 'object', required: ['id'], properties: { id: appId } };
export const platformParams = { type: 'object', required: ['id', 'os'], properties: { id: appId, os } };

export const createAppQuery = {
  type: 'object',
  properties: {
    accountId: { type: 'integer', minimum: 1, maximum: MAX_ID, description: 'The account (required)', examples: [1] },
    workspaceId: { type: 'integer', minimum: 1, maximum: MAX_ID, description: "Quanta's: the workspace of the account to create the app in (default: the account's default one)" },
  },
};

const settings = {
  crash_handling: { type: 'string', nullable: true, enum: [...CRASH_HANDLING, null] },
  network_performance: { type: 'string', nullable: true, enum: [...NETWORK_PERFORMANCE, null] },
  social_mode: { type: 'string', nullable: true, enum: [...SOCIAL_MODE, null] },
  profile_merging: { type: 'boolean' },
  push_attribution_timer: { type: 'integer', minimum: 0, description: 'Minutes' },
} as const;

const platform = {
  type: 'object',
  properties: {
    application_id: { type: 'integer' },
    os: text,
    access_keys: {
      type: 'array',
      description: 'The platform input\'s key, and its secret in the answer that created it only (null afterwards)',
      items: { type: 'object', properties: { key: text, secret: { type: 'string', nullable: true }, data_type: text } },
    },
    ...settings,
    last_modified_on: text,
    data_type: text,
    created_on: text,
  },
};
const platformExample = (secret: string | null) => ({
  application_id: 1,
  os: 'Android',
  access_keys: [{ key: 'qa_3c1f5e0a9b2d4c6e8f7a1b0c', secret, data_type: 'token' }],
  crash_handling: 'AppDefined',
  network_performance: 'AppDefined',
  social_mode: 'AppDefined',
  profile_merging: false,
  push_attribution_timer: 30,
  last_modified_on: '2026-11-05T20:09:46.577',
  data_type: 'platform',
  created_on: '2026-06-11T19:43:48.697',
});
export const platformListSchema = v1List('platform', platform, platformExample(null));
export const createdPlatformSchema = v1List('platform', platform, platformExample('9f2c4b7d0e1a3c5b7d9e2f4a6c8b0d1e3f5a7c9b1d2e4f6a'));

const app = {
  type: 'object',
  properties: { name: text, platforms: { type: 'array', items: platform }, last_modified_on: text, data_type: text, id: { type: 'integer' }, created_on: text },
};
const appExample = (secret: string | null) => ({
  name: 'Test App',
  platforms: [platformExample(secret)],
  last_modified_on: '2026-06-11T19:43:45.617',
  data_type: 'application',
  id: 1,
  created_on: '2026-06-11T19:43:45.617',
});
export const appListSchema = v1List('application', app, appExample(null));
export const createdAppSchema = v1List('application', app, appExample('9f2c4b7d0e1a3c5b7d9e2f4a6c8b0d1e3f5a7c9b1d2e4f6a'));

export const appBodySchema = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'Unique in the account (any case)' },
    platforms: { type: 'array', description: 'At least one; each makes an input with its own key and secret', items: { type: 'object', properties: { os, ...settings } } },
  },
  examples: [{ name: 'Test App', platforms: [{ os: 'iOS' }, { os: 'Android' }] }],
};
export const renameBodySchema = { type: 'object', properties: { name: text }, examples: [{ name: 'Test App New Name' }] };
export const platformBodySchema = {
  type: 'object',
  properties: { os, ...settings },
  examples: [{ os: 'android', profile_merging: true, push_attribution_timer: 30, crash_handling: 'ForceCatch', network_performance: 'ForceTrue', social_mode: 'FacebookAndTwitter' }],
};
export const platformSettingsBodySchema = {
  type: 'object',
  properties: settings,
  examples: [{ profile_merging: true, push_attribution_timer: 30, crash_handling: 'ForceCatch', network_performance: 'ForceTrue', social_mode: 'FacebookAndTwitter' }],
};

const serviceSetting = { type: 'object', properties: { name: text, value: { nullable: true, description: 'Text (booleans "True"/"False"); confidential values masked' }, isConfidential: { type: 'boolean' } } };
export const serviceListSchema = v1List(
  'service',
  { type: 'object', properties: { account: { type: 'string', description: "The output's name" }, name: { type: 'string', description: 'The service: an output kind' }, isActive: { type: 'boolean' }, isVisible: { type: 'boolean' }, settings: { type: 'array', items: serviceSetting }, data_type: text } },
  { account: 'Default Account', name: 'webhook', isActive: true, isVisible: true, settings: [{ name: 'url', value: 'https://example.com/events', isConfidential: false }, { name: 'authorization_header', value: '*********** Key', isConfidential: true }], data_type: 'service' },
);
export const serviceBodySchema = {
  type: 'object',
  properties: {
    account: { type: 'string', description: 'The output (by name) to send to; "Default Account" when left out or null' },
    name: { type: 'string', description: 'The service: an output kind (GET /v1/services)' },
    isActive: { type: 'boolean', description: "Whether the connection delivers (default true for a new one)" },
    isVisible: { type: 'boolean', description: 'Taken, not kept: Quanta has no UI to hide a service from' },
    settings: { type: 'array', items: { type: 'object', properties: { name: text, value: {} } } },
  },
  examples: [{ account: 'Default Account', name: 'webhook', isActive: true, isVisible: true, settings: [{ name: 'url', value: 'https://example.com/events' }] }],
};

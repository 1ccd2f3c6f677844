/** The OpenAPI schemas of the credentials, custom roles and users routes. */
import { accountIdParam, orgIdParam } from '../server/path-params.ts';
import { APIS, LEVELS } from '../model/permissions.ts';

export const accountParams = {
  type: 'object',
  required: ['orgId', 'accountId'],
  properties: { orgId: { ...orgIdParam, description: 'The organisation' }, accountId: { ...accountIdParam, description: 'The account' } },
};

export const credentialParams = {
  ...accountParams,
  required: [...accountParams.required, 'id'],
  properties: { ...accountParams.properties, id: { type: 'integer', minimum: 1, description: "The credential's id" } },
};

const grant = {
  type: 'object',
  required: ['api', 'permission'],
  properties: { api: { type: 'string', enum: [...APIS] }, permission: { type: 'string', enum: [...LEVELS] } },
};

const scope = {
  type: 'object',
  description: 'The account (the path\'s) and, optionally, the only workspaces of it the credentials may reach; none listed: the whole account.',
  properties: { account_id: { type: 'integer' }, workspace_ids: { type: 'array', items: { type: 'integer' }, nullable: true } },
};

const credentialExample = {
  id: 3,
  name: 'Nightly export',
  client_id: 'qc_mF1mE4rYx1nZ0QkA',
  permissions: [{ api: 'profile', permission: 'read_only' }, { api: 'platform', permission: 'admin' }],
  scope: { account_id: 1, workspace_ids: [1] },
  is_active: true,
  created_on: '2026-12-03T10:00:00.000Z',
  last_modified_on: '2026-12-03T10:00:00.000Z',
};

export const credential = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    client_id: { type: 'string' },
    permissions: { type: 'array', items: grant },
    scope,
    is_active: { type: 'boolean' },
    created_on: { type: 'string' },
    last_modified_on: { type: 'string' },
  },
  examples: [credentialExample],
};

export const credentialWithSecret = {
  ...credential,
  properties: { ...credential.properties, client_secret: { type: 'string', description: 'Shown only in this response: store it now.' } },
  examples: [{ ...credentialExample, client_secret: 'Zp1N8h3m4Kc0Xl2o9Vb7RqGxT5eW6yUa' }],
};

export const credentialList = { type: 'object', properties: { credentials: { type: 'array', items: credential } }, examples: [{ credentials: [credentialExample] }] };

export const credentialBody = {
  type: 'object',
  properties: { name: { type: 'string' }, permissions: { type: 'array', items: grant }, scope, is_active: { type: 'boolean', description: 'PUT only: deactivate or activate' } },
  examples: [{ name: 'Nightly export', permissions: [{ api: 'profile', permission: 'read_only' }], scope: { account_id: 1, workspace_ids: [1] } }],
};

const role = {
  type: 'object',
  required: ['role_id', 'name', 'tasks'],
  properties: {
    role_id: { type: 'string', maxLength: 64 },
    name: { type: 'string', maxLength: 64 },
    description: { type: 'string', maxLength: 256 },
    tasks: { type: 'array', items: { type: 'object', required: ['task_id'], properties: { task_id: { type: 'string' } } } },
  },
};

const roleExample = { role_id: 'marketer_role', name: 'Marketer', description: 'Marketers can view and create new audiences', tasks: [{ task_id: 'user:core' }, { task_id: 'audiences:*' }, { task_id: 'user_activity:view' }] };

export const manifest = {
  type: 'object',
  properties: { roles: { type: 'array', items: role }, last_modified_on: { type: 'string', nullable: true }, last_modified_by: { type: 'string', nullable: true } },
  examples: [{ roles: [roleExample], last_modified_on: '2026-12-03 10:00:00', last_modified_by: 'admin@example.com' }],
};

export const manifestBody = { type: 'object', required: ['roles'], properties: { roles: { type: 'array', items: role } }, examples: [{ roles: [roleExample] }] };

export const taskList = {
  type: 'array',
  items: { type: 'object', properties: { task_id: { type: 'string' }, display_name: { type: 'string' }, description: { type: 'string' } } },
  examples: [[{ task_id: 'audiences:*', display_name: 'Audiences', description: 'View, create, activate and delete audiences.' }]],
};

const user = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    first_name: { type: 'string' },
    last_name: { type: 'string' },
    email: { type: 'string' },
    role: { type: 'string', description: 'A built-in role id (admin-role, user-role, read-only-role, audiences-only-role, compliance-role, admin-compliance-role, support-role) or a custom role_id' },
    data_type: { type: 'string' },
    password: { type: 'string', description: 'Create only, when the request set none: the password Quanta made, shown only here' },
  },
};

const userExample = { id: 'test40mparticle2Ecom', first_name: 'Test', last_name: 'User', email: 'test@mparticle.com', role: 'user-role', data_type: 'user' };

export const userEnvelope = {
  type: 'object',
  properties: { data: { type: 'array', items: user }, dataType: { type: 'string' }, errors: { nullable: true } },
  examples: [{ data: [userExample], dataType: 'user', errors: null }],
};

export const userBody = {
  type: 'object',
  properties: {
    first_name: { type: 'string' },
    last_name: { type: 'string' },
    email: { type: 'string' },
    role: { type: 'string' },
    password: { type: 'string', description: 'At least 12 characters; on create, Quanta makes one when absent' },
  },
  examples: [{ first_name: 'Test', last_name: 'User', email: 'test@mparticle.com', role: 'read-only-role' }],
};

export const userParams = { type: 'object', required: ['userId'], properties: { userId: { type: 'string', description: "The user's id (test40mparticle2Ecom) or email" } } };

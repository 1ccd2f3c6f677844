import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';

type Json = Record<string, unknown>;
let q: Quanta;
let admin: string;
const CREDENTIALS = '/platform/v2/organizations/1/accounts/1/credentials';

const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, auth: string, payload?: unknown) =>
  q.app.inject({ method, url, headers: { authorization: auth, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}) });
const token = (body: Json) => q.app.inject({ method: 'POST', url: '/oauth/token', payload: body });
const messages = (res: { json(): unknown }) => (res.json() as { errors: { message: string }[] }).errors.map((e) => e.message);

async function bearerOf(clientId: string, secret: string): Promise<string> {
  const res = await token({ client_id: clientId, client_secret: secret, grant_type: 'client_credentials' });
  expect(res.statusCode, res.body).toBe(200);
  return `Bearer ${(res.json() as { access_token: string }).access_token}`;
}

async function credential(body: Json, auth = admin): Promise<{ id: number; client_id: string; client_secret: string; bearer: string }> {
  const res = await call('POST', CREDENTIALS, auth, body);
  expect(res.statusCode, res.body).toBe(201);
  const made = res.json() as { id: number; client_id: string; client_secret: string };
  return { ...made, bearer: await bearerOf(made.client_id, made.client_secret) };
}

beforeAll(async () => {
  q = await quantaApp();
  q.stores.platform.saveTenant({ orgId: 1, accountId: 1, workspaceId: workspaceId(2) });
  q.stores.platform.saveTenant({ orgId: 1, accountId: 3, workspaceId: workspaceId(4) });
  admin = await bearerAuth(q);
});
afterAll(async () => {
  await q.close();
});

describe('API credentials', () => {
  it('creates credentials whose secret is answered once and stored hashed', async () => {
    const res = await call('POST', CREDENTIALS, admin, { name: 'Export', permissions: [{ api: 'profile', permission: 'read_only' }], scope: { account_id: 1, workspace_ids: [2] } });
    expect(res.statusCode, res.body).toBe(201);
    const made = res.json() as Json;
    expect(made).toMatchObject({ name: 'Export', permissions: [{ api: 'profile', permission: 'read_only' }], scope: { account_id: 1, workspace_ids: [2] }, is_active: true });
    expect(made.client_secret).toEqual(expect.any(String));
    const listed = (await call('GET', CREDENTIALS, admin)).json() as { credentials: Json[] };
    const mine = listed.credentials.find((c) => c.id === made.id)!;
    expect(mine).not.toHaveProperty('client_secret');
    expect((await call('GET', `${CREDENTIALS}/${String(made.id)}`, admin)).json()).toEqual(mine);
    const stored = q.stores.access.client(made.client_id as string)!;
    expect(stored.secretHash).not.toContain(made.client_secret as string);
    expect(JSON.stringify(stored)).not.toContain(made.client_secret as string);
  });

  it('gives a token only the permissions of its credentials: read-only reads, never writes; other APIs not at all', async () => {
    const c = await credential({ name: 'Reader', permissions: [{ api: 'platform', permission: 'read_only' }] });
    expect((await call('GET', '/platform/v2/workspaces/1/audiences', c.bearer)).statusCode).toBe(200);
    const write = await call('POST', '/platform/v2/workspaces/1/audiences', c.bearer, { name: 'x', definition: { user_attribute: { name: 'a', operator: 'exists' } } });
    expect(write.statusCode).toBe(403);
    expect(write.headers['x-quanta-error-code']).toBe('QUANTA_AUTH_PERMISSION_DENIED');
    expect(messages(write)[0]).toMatch(/platform API at admin/);
    // The Profile and Data Planning APIs are not granted.
    expect((await call('GET', '/platform/v2/workspaces/1/plans', c.bearer)).statusCode).toBe(403);
    expect((await call('GET', '/userprofile/v1/1/1/1/1', c.bearer)).statusCode).toBe(403);
  });

  it('keeps workspace-scoped credentials to their workspaces, and account-scoped ones to their account', async () => {
    const c = await credential({ name: 'WS2', permissions: [{ api: 'platform', permission: 'admin' }], scope: { account_id: 1, workspace_ids: [2] } });
    expect((await call('GET', '/platform/v2/workspaces/2/audiences', c.bearer)).statusCode).toBe(200);
    const other = await call('GET', '/platform/v2/workspaces/1/audiences', c.bearer);
    expect(other.statusCode).toBe(403);
    expect(other.headers['x-quanta-error-code']).toBe('QUANTA_AUTH_WORKSPACE_FORBIDDEN');
    // The v1 account-wide listing shows only its workspace's.
    const v1 = await call('GET', '/v1/audiences?accountId=1', c.bearer);
    expect(v1.statusCode, v1.body).toBe(200);
    const account = await credential({ name: 'Account 1', permissions: [{ api: 'platform', permission: 'admin' }] });
    expect((await call('GET', '/platform/v2/workspaces/4/audiences', account.bearer)).statusCode).toBe(403);
    expect((await call('GET', '/v1/services?accountId=3', account.bearer)).headers['x-quanta-error-code']).toBe('QUANTA_AUTH_ACCOUNT_FORBIDDEN');
    // Another account's credentials are not found through this account's path.
    expect((await call('GET', `/platform/v2/organizations/1/accounts/3/credentials/${account.id}`, admin)).statusCode).toBe(404);
  });

  it('lets credentials grant only what they hold', async () => {
    const c = await credential({ name: 'Platform admin', permissions: [{ api: 'platform', permission: 'admin' }], scope: { workspace_ids: [2] } });
    const wider = await call('POST', CREDENTIALS, c.bearer, { name: 'More', permissions: [{ api: 'profile', permission: 'read_only' }], scope: { workspace_ids: [2] } });
    expect(wider.statusCode).toBe(403);
    expect(wider.headers['x-quanta-error-code']).toBe('QUANTA_CREDENTIAL_ESCALATION');
    const elsewhere = await call('POST', CREDENTIALS, c.bearer, { name: 'Elsewhere', permissions: [{ api: 'platform', permission: 'read_only' }] });
    expect(elsewhere.statusCode).toBe(403);
    expect((await call('POST', CREDENTIALS, c.bearer, { name: 'Same', permissions: [{ api: 'platform', permission: 'read_only' }], scope: { workspace_ids: [2] } })).statusCode).toBe(201);
  });

  it('ends a deactivated, rotated or deleted credential at once', async () => {
    const c = await credential({ name: 'Short-lived', permissions: [{ api: 'platform', permission: 'read_only' }] });
    const url = `${CREDENTIALS}/${c.id}`;
    expect((await call('PUT', url, admin, { is_active: false })).json()).toMatchObject({ is_active: false });
    expect((await call('GET', '/platform/v2/workspaces/1/audiences', c.bearer)).statusCode).toBe(401);
    expect((await token({ client_id: c.client_id, client_secret: c.client_secret, grant_type: 'client_credentials' })).statusCode).toBe(401);
    await call('PUT', url, admin, { is_active: true });
    const before = await bearerOf(c.client_id, c.client_secret);
    const rotated = (await call('POST', `${url}/rotate`, admin)).json() as { client_secret: string };
    expect(rotated.client_secret).not.toBe(c.client_secret);
    expect((await call('GET', '/platform/v2/workspaces/1/audiences', before)).statusCode).toBe(401);
    expect((await token({ client_id: c.client_id, client_secret: c.client_secret, grant_type: 'client_credentials' })).statusCode).toBe(401);
    const after = await bearerOf(c.client_id, rotated.client_secret);
    expect((await call('GET', '/platform/v2/workspaces/1/audiences', after)).statusCode).toBe(200);
    // Edits take effect on the next call too.
    await call('PUT', url, admin, { permissions: [{ api: 'profile', permission: 'read_only' }] });
    expect((await call('GET', '/platform/v2/workspaces/1/audiences', after)).statusCode).toBe(403);
    expect((await call('DELETE', url, admin)).statusCode).toBe(204);
    expect((await call('GET', '/userprofile/v1/1/1/1/1', after)).statusCode).toBe(401);
    expect((await call('GET', url, admin)).statusCode).toBe(404);
  });

  it('names every invalid field, and creates nothing', async () => {
    const before = ((await call('GET', CREDENTIALS, admin)).json() as { credentials: unknown[] }).credentials.length;
    const res = await call('POST', CREDENTIALS, admin, { name: '', permissions: [{ api: 'warehouse', permission: 'admin' }, { api: 'profile', permission: 'owner' }], scope: { account_id: 3, workspace_ids: [4] } });
    expect(res.statusCode).toBe(400);
    expect(messages(res)).toEqual([
      expect.stringMatching(/^name is required/),
      expect.stringMatching(/permissions\[0\]\.api "warehouse"/),
      expect.stringMatching(/permissions\[1\]\.permission "owner"/),
      expect.stringMatching(/scope\.account_id must be this path's account, 1/),
      expect.stringMatching(/scope\.workspace_ids 4 are not workspaces of account 1/),
    ]);
    expect(((await call('GET', CREDENTIALS, admin)).json() as { credentials: unknown[] }).credentials).toHaveLength(before);
    expect((await call('GET', `${CREDENTIALS}/999`, admin)).statusCode).toBe(404);
    expect((await call('GET', '/platform/v2/organizations/2/accounts/1/credentials', admin)).statusCode).toBe(403);
  });

  it('lists each tenant route\'s permission in the OpenAPI document', async () => {
    const doc = (await q.app.inject('/openapi.json')).json() as { paths: Record<string, Record<string, { security?: Record<string, string[]>[]; description?: string }>> };
    const create = doc.paths['/platform/v2/workspaces/{workspaceId}/audiences']!.post!;
    expect(create.security).toEqual([{ oauth: ['platform:admin'] }]);
    expect(create.description).toMatch(/audiences:\*/);
    expect(doc.paths['/userprofile/v1/{orgId}/{accountId}/{workspaceId}/{mpid}']!.get!.security).toEqual([{ oauth: ['profile:read_only'] }]);
    expect(doc.paths['/platform/v2/workspaces/{workspaceId}/outputs']!.post!.description).toMatch(/connections:configure_outputs/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import type { Quanta } from '../main.ts';
import { ROLE_LIMITS } from './roles.ts';

type Json = Record<string, unknown>;
let q: Quanta;
let admin: string;
const ROLES = '/platform/v2/organizations/1/accounts/1/roles';

const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, auth: string, payload?: unknown) =>
  q.app.inject({ method, url, headers: { authorization: auth, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}) });
const messages = (res: { json(): unknown }) => (res.json() as { errors: { message: string }[] }).errors.map((e) => e.message);

async function login(email: string, password: string): Promise<string> {
  const res = await q.app.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'password', username: email, password } });
  expect(res.statusCode, res.body).toBe(200);
  return `Bearer ${(res.json() as { access_token: string }).access_token}`;
}

async function user(email: string, role: string): Promise<string> {
  const res = await call('POST', '/v1/users?accountId=1', admin, { first_name: 'Test', last_name: 'User', email, role });
  expect(res.statusCode, res.body).toBe(201);
  const made = (res.json() as { data: { password: string }[] }).data[0]!;
  return login(email, made.password);
}

beforeAll(async () => {
  q = await quantaApp();
  admin = await bearerAuth(q);
});
afterAll(async () => {
  await q.close();
});

describe('users (Platform API v1)', () => {
  it('adds, lists, finds (by mParticle id or email), changes and removes users in the v1 envelope', async () => {
    const created = await call('POST', '/v1/users?accountId=1', admin, { first_name: 'Test', last_name: 'User', email: 'Test@mparticle.com' });
    expect(created.statusCode).toBe(201);
    const body = created.json() as { data: Json[]; dataType: string; errors: null };
    expect(body).toMatchObject({ dataType: 'user', errors: null, data: [{ id: 'test40mparticle2Ecom', first_name: 'Test', last_name: 'User', email: 'test@mparticle.com', role: 'user-role', data_type: 'user' }] });
    expect(body.data[0]!.password).toEqual(expect.any(String));
    const list = (await call('GET', '/v1/users?accountId=1', admin)).json() as { data: Json[] };
    expect(list.data.map((u) => u.email)).toContain('test@mparticle.com');
    expect(list.data.every((u) => !('password' in u))).toBe(true);
    expect((await call('GET', '/v1/users/test40mparticle2Ecom?accountId=1', admin)).json()).toMatchObject({ data: [{ email: 'test@mparticle.com' }] });
    expect((await call('GET', '/v1/users/test%40mparticle.com?accountId=1', admin)).statusCode).toBe(200);
    const changed = await call('PUT', '/v1/users/test40mparticle2Ecom?accountId=1', admin, { role: 'read-only-role' });
    expect(changed.statusCode).toBe(202);
    expect(changed.json()).toMatchObject({ data: [{ role: 'read-only-role' }] });
    expect((await call('DELETE', '/v1/users/test40mparticle2Ecom?accountId=1', admin)).statusCode).toBe(202);
    expect((await call('GET', '/v1/users/test40mparticle2Ecom?accountId=1', admin)).statusCode).toBe(404);
  });

  it('answers the documented errors', async () => {
    const res = await call('POST', '/v1/users?accountId=1', admin, { email: 'not-an-email', role: 'owner' });
    expect(res.statusCode).toBe(400);
    expect(messages(res)).toEqual(['First name or last name required.', 'Email must be a valid email format.', expect.stringMatching(/^role "owner" is no role/)]);
    expect(messages(await call('POST', '/v1/users?accountId=1', admin, { first_name: 'A' }))).toEqual(['Email is required.']);
    expect((await call('GET', '/v1/users', admin)).statusCode).toBe(401);
    await call('POST', '/v1/users?accountId=1', admin, { first_name: 'A', email: 'dup@example.com' });
    expect((await call('POST', '/v1/users?accountId=1', admin, { first_name: 'A', email: 'dup@example.com' })).statusCode).toBe(409);
    const wrongPassword = await q.app.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'password', username: 'dup@example.com', password: 'wrong-password-123' } });
    expect(wrongPassword.statusCode).toBe(401);
  });

  it("enforces a user's built-in role on every route: read only reads, audiences only sees audiences", async () => {
    const reader = await user('reader@example.com', 'read-only-role');
    expect((await call('GET', '/platform/v2/workspaces/1/audiences', reader)).statusCode).toBe(200);
    expect((await call('GET', '/platform/v2/workspaces/1/plans', reader)).statusCode).toBe(200);
    const write = await call('POST', '/platform/v2/workspaces/1/audiences', reader, { name: 'x', definition: { user_attribute: { name: 'a', operator: 'exists' } } });
    expect(write.statusCode).toBe(403);
    expect(messages(write)[0]).toMatch(/audiences:\*/);
    // No user_activity:view: no profiles.
    expect((await call('GET', '/userprofile/v1/1/1/1/1', reader)).statusCode).toBe(403);
    expect((await call('GET', '/v1/users?accountId=1', reader)).statusCode).toBe(403);

    const marketer = await user('aud@example.com', 'audiences-only-role');
    const created = await call('POST', '/platform/v2/workspaces/1/audiences', marketer, { name: 'Everyone with a tier', definition: { user_attribute: { name: 'tier', operator: 'exists' } } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ created_by: 'aud@example.com' });
    expect((await call('GET', '/platform/v2/workspaces/1/plans', marketer)).statusCode).toBe(403);
    // Every role may view the catalog and the workspaces.
    expect((await call('GET', '/platform/v2/workspaces/1/catalog', marketer)).statusCode).not.toBe(403);
  });

  it('manages custom roles: a manifest replaced whole, tasks enforced, an assigned role kept', async () => {
    const tasks = (await call('GET', '/platform/v2/organizations/1/accounts/1/tasks', admin)).json() as { task_id: string }[];
    expect(tasks.map((t) => t.task_id)).toEqual(expect.arrayContaining(['audiences:*', 'user_activity:view', 'connections:configure_outputs']));
    expect((await call('GET', ROLES, admin)).json()).toEqual({ roles: [], last_modified_on: null, last_modified_by: null });
    const manifest = {
      roles: [{ role_id: 'marketer_role', name: 'Marketer', description: 'Marketers can view and create new audiences', tasks: [{ task_id: 'audiences:*' }, { task_id: 'user_activity:view' }] }],
    };
    const saved = await call('PUT', ROLES, admin, manifest);
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json()).toMatchObject({
      roles: [{ role_id: 'marketer_role', tasks: [{ task_id: 'user:core' }, { task_id: 'audiences:*' }, { task_id: 'user_activity:view' }] }],
      last_modified_by: 'client_id:test-client',
    });
    const marketer = await user('marketer@example.com', 'marketer_role');
    expect((await call('GET', '/userprofile/v1/1/1/1/1', marketer)).statusCode).not.toBe(403);
    expect((await call('GET', '/platform/v2/workspaces/1/plans', marketer)).statusCode).toBe(403);
    // Changing the role's tasks changes what its users may do, at once.
    await call('PUT', ROLES, admin, { roles: [{ ...manifest.roles[0]!, tasks: [{ task_id: 'data_plans:view' }] }] });
    expect((await call('GET', '/platform/v2/workspaces/1/plans', marketer)).statusCode).toBe(200);
    const removed = await call('PUT', ROLES, admin, { roles: [] });
    expect(removed.statusCode).toBe(400);
    expect(messages(removed)[0]).toMatch(/^Removed a custom role with active user membership/);
    expect(((await call('GET', ROLES, admin)).json() as { roles: unknown[] }).roles).toHaveLength(1);
  });

  it('refuses an invalid manifest whole', async () => {
    const long = 'x'.repeat(ROLE_LIMITS.name + 1);
    const res = await call('PUT', ROLES, admin, {
      roles: [
        { role_id: 'a b', name: long, description: 'd', tasks: [{ task_id: 'audiences:*' }] },
        { role_id: 'r2', name: 'R2', tasks: [{ task_id: 'rockets:launch' }] },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(messages(res)).toEqual([
      expect.stringMatching(/roles\[0\]\.role_id "a b" has restricted characters/),
      expect.stringMatching(/roles\[0\]\.name has too many characters/),
      expect.stringMatching(/^Tasks not found in roles\[1\]: rockets:launch/),
    ]);
    const many = Array.from({ length: ROLE_LIMITS.roles + 1 }, (_, i) => ({ role_id: `r${i}`, name: `R${i}`, tasks: [] }));
    expect(messages(await call('PUT', ROLES, admin, { roles: many }))[0]).toMatch(/at most 100 custom roles/);
    const reader = await user('reader2@example.com', 'read-only-role');
    expect((await call('PUT', ROLES, reader, { roles: [] })).statusCode).toBe(403);
  });

  it('throttles the custom roles API at 100 requests a minute per organisation (429 with Retry-After)', async () => {
    let refused: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 110 && !refused; i++) {
      const res = await call('GET', ROLES, admin);
      if (res.statusCode === 429) refused = res;
      else expect(res.statusCode).toBe(200);
    }
    expect(refused?.headers['retry-after']).toEqual(expect.stringMatching(/^\d+$/));
    expect(messages(refused!)[0]).toMatch(/Rate limit exceeded for this organisation/);
    // The other APIs are not throttled by it.
    expect((await call('GET', '/v1/users?accountId=1', admin)).statusCode).toBe(200);
  });
});

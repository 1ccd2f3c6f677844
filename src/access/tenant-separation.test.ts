import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { until } from '../../test/helpers/receiver.ts';
import { workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';

// Two tenants: workspace 1 (account 1, the bootstrap one) and workspace 5 (account 2), each with
// its own input; credentials admin on every API but scoped to account 1.
const A = { ws: 1, account: 1 };
const B = { ws: 5, account: 2 };
let q: Quanta;
let scopedToA: string;
let inputB: { key: string; secret: string };

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
const call = (method: Method, url: string, auth: string, payload?: unknown) =>
  q.app.inject({ method, url, headers: { authorization: auth, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}) });

/** Every route of the tenant scope, from the OpenAPI document (the ones with an OAuth permission). */
async function tenantRoutes(): Promise<{ method: Method; path: string }[]> {
  const doc = (await q.app.inject('/openapi.json')).json() as { paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([, op]) => op.security?.some((s) => 'oauth' in s) && path !== '/livestream')
      .map(([method]) => ({ method: method.toUpperCase() as Method, path })),
  );
}

/** A route's URL for a tenant: its tenant ids, `1` for any other id, and `?accountId=`. */
const urlFor = (path: string, t: { ws: number; account: number }) =>
  `${path
    .replace('{workspaceId}', String(t.ws))
    .replace('{orgId}', '1')
    .replace('{accountId}', String(t.account))
    .replace(/\{\w+\}/g, '1')}?accountId=${t.account}`;

beforeAll(async () => {
  q = await quantaApp();
  q.stores.platform.saveTenant({ orgId: 1, accountId: B.account, workspaceId: workspaceId(B.ws) });
  const input = q.stores.platform.saveInput({ workspaceId: workspaceId(B.ws), name: 'B server', apiKey: 'b-key', apiSecret: 'b-secret', rateLimitPerSecond: 0, allowKeyOnly: false });
  q.use('inputs').reload();
  inputB = { key: input.apiKey, secret: input.apiSecret };
  const admin = await bearerAuth(q);
  const made = await call('POST', `/platform/v2/organizations/1/accounts/${A.account}/credentials`, admin, {
    name: 'Tenant A admin',
    permissions: ['events', 'identity', 'profile', 'platform', 'data_planning', 'dsr', 'calculated_attributes'].map((api) => ({ api, permission: 'admin' })),
  });
  expect(made.statusCode, made.body).toBe(201);
  const { client_id, client_secret } = made.json() as { client_id: string; client_secret: string };
  const token = await q.app.inject({ method: 'POST', url: '/oauth/token', payload: { client_id, client_secret, grant_type: 'client_credentials' } });
  scopedToA = `Bearer ${(token.json() as { access_token: string }).access_token}`;
});
afterAll(async () => {
  await q.close();
});

describe('tenants kept apart', () => {
  it("answers every tenant route for the credentials' own workspace, refuses it for another's and without a token, route by route", async () => {
    const routes = await tenantRoutes();
    expect(routes.length).toBeGreaterThan(50);
    const leaks: string[] = [];
    for (const { method, path } of routes) {
      const body = method === 'GET' || method === 'HEAD' || method === 'DELETE' ? undefined : {};
      const own = await call(method, urlFor(path, A), scopedToA, body);
      if (own.statusCode === 401 || own.statusCode === 403) leaks.push(`${method} ${path} refused its own tenant: ${own.statusCode} ${own.body}`);
      const anonymous = await q.app.inject({ method, url: urlFor(path, A) });
      if (anonymous.statusCode !== 401) leaks.push(`${method} ${path} answered without a token: ${anonymous.statusCode}`);
      const other = await call(method, urlFor(path, B), scopedToA, body);
      if (other.statusCode !== 403) leaks.push(`${method} ${path} answered another tenant ${other.statusCode}: ${other.body.slice(0, 200)}`);
    }
    expect(leaks).toEqual([]);
  });

  it("never shows one workspace's profiles or identities through another's", async () => {
    const batch = { environment: 'development', user_identities: { customerid: 'b-user', email: 'b@example.com' }, events: [{ event_type: 'custom_event', data: { event_name: 'B only', custom_event_type: 'other' } }] };
    const sent = await q.app.inject({ method: 'POST', url: '/v2/events', headers: { authorization: `Basic ${Buffer.from(`${inputB.key}:${inputB.secret}`).toString('base64')}`, 'content-type': 'application/json' }, payload: JSON.stringify(batch) });
    expect(sent.statusCode, sent.body).toBe(202);
    const admin = await bearerAuth(q);
    const resolveB = () => call('POST', `/userprofile/v1/resolve/1/${B.account}/${B.ws}?fields=user_identities`, admin, { environment_type: 'development', identity: { type: 'customer_id', value: 'b-user' } });
    await until('workspace 5 profile', async () => (await resolveB()).statusCode === 200);
    const { mpid } = (await resolveB()).json() as { mpid: string };
    // Through workspace 1's paths, with a token that may read workspace 1: nothing of workspace 5's user.
    expect((await call('GET', `/userprofile/v1/1/${A.account}/${A.ws}/${mpid}?fields=user_identities`, scopedToA)).statusCode).toBe(404);
    expect((await call('POST', `/userprofile/v1/resolve/1/${A.account}/${A.ws}?fields=user_identities`, scopedToA, { environment_type: 'development', identity: { type: 'customer_id', value: 'b-user' } })).statusCode).toBe(404);
    expect((await call('GET', `/userprofile/v1/1/${B.account}/${B.ws}/${mpid}?fields=user_identities`, scopedToA)).statusCode).toBe(403);
  });

  it("keeps the live stream to the credentials' workspaces", async () => {
    const other = await q.app.inject({ method: 'GET', url: `/livestream?workspace_id=${B.ws}`, headers: { authorization: scopedToA } });
    expect(other.statusCode).toBe(403);
  });
});

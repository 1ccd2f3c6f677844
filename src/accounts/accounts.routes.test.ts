import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, messages, v1Caller } from '../../test/helpers/platform-v1.ts';
import { bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';

let q: Quanta;
let call: ReturnType<typeof v1Caller>;
const V1_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/;

beforeAll(async () => {
  q = await quantaApp();
  // Another organisation's account and workspace.
  q.stores.platform.saveTenant({ orgId: 99, accountId: 99, workspaceId: workspaceId(99) });
  call = v1Caller(q, await bearerAuth(q));
});
afterAll(async () => {
  await q.close();
});

describe('accounts (Platform API v1)', () => {
  it('answers the bootstrap account with its default name in the envelope; ?accountId= is required', async () => {
    const res = await call('GET', '/v1/accounts/1?accountId=1');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      data: [{ name: 'Account 1', last_modified_on: expect.stringMatching(V1_TIME), data_type: 'account', id: 1, created_on: expect.stringMatching(V1_TIME) }],
      dataType: 'account',
      errors: null,
    });
    expect((await call('GET', '/v1/accounts/1')).statusCode).toBe(401);
    expect((await call('GET', '/v1/accounts?accountId=1', undefined, null)).statusCode).toBe(401);
    // Another organisation's account is not found, never shown.
    const foreign = await call('GET', '/v1/accounts/99?accountId=1');
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).not.toContain('Account 99"');
  });

  it('creates an account with one workspace (201), lists, renames (202) and keeps names unique', async () => {
    const created = await call('POST', '/v1/accounts', { name: 'Staging' });
    expect(created.statusCode, created.body).toBe(201);
    const account = dataOf(created)[0]!;
    expect(account).toMatchObject({ name: 'Staging', data_type: 'account', id: expect.any(Number) });
    const id = account.id as number;
    expect(dataOf(await call('GET', '/v1/accounts?accountId=1')).map((a) => a.name)).toEqual(['Account 1', 'Staging']);
    const workspaces = await call('GET', `/v1/workspace?accountId=${id}`);
    expect(workspaces.statusCode, workspaces.body).toBe(200);
    expect(workspaces.json()).toEqual({ data: [{ id: expect.stringMatching(/^\d+$/), name: 'Default Workspace', data_type: 'workspace', created_on: expect.stringMatching(V1_TIME) }], dataType: 'workspace', errors: null });

    const taken = await call('POST', '/v1/accounts', { name: 'staging' });
    expect(taken.statusCode).toBe(422);
    expect(taken.json()).toEqual({ errors: [{ code: 'VALIDATION_ERROR', message: 'Account name is not unique.' }] });
    expect(messages(await call('POST', '/v1/accounts', { name: '  ' }))).toEqual(['Account name must be specified.']);

    const renamed = await call('PUT', `/v1/accounts/${id}?accountId=1`, { name: 'Production' });
    expect(renamed.statusCode, renamed.body).toBe(202);
    expect(dataOf(renamed)[0]).toMatchObject({ id, name: 'Production' });
    expect(messages(await call('PUT', `/v1/accounts/${id}?accountId=1`, { name: 'ACCOUNT 1' }))).toEqual(['Account name is not unique.']);
    expect((await call('PUT', '/v1/accounts/99?accountId=1', { name: 'Mine now' })).statusCode).toBe(404);
  });

  it('adds workspaces to an account (201), names unique in it; another organisation\'s account is refused', async () => {
    const id = dataOf(await call('POST', '/v1/accounts', { name: 'Regions' }))[0]!.id as number;
    const added = await call('POST', `/v1/workspace?accountId=${id}`, { name: 'EU' });
    expect(added.statusCode, added.body).toBe(201);
    expect(dataOf(added)[0]).toMatchObject({ name: 'EU', data_type: 'workspace' });
    expect(dataOf(await call('GET', `/v1/workspace?accountId=${id}`)).map((w) => w.name)).toEqual(['Default Workspace', 'EU']);
    expect(messages(await call('POST', `/v1/workspace?accountId=${id}`, { name: 'eu' }))).toEqual(['Workspace name is not unique.']);
    expect(messages(await call('POST', `/v1/workspace?accountId=${id}`, {}))).toEqual(['Workspace name must be specified.']);
    expect((await call('POST', '/v1/workspace', { name: 'x' })).statusCode).toBe(401);
    const foreign = await call('GET', '/v1/workspace?accountId=99');
    expect(foreign.statusCode).toBeGreaterThanOrEqual(403);
    expect(foreign.body).not.toContain('Workspace 99');
  });

  it('deletes an account (202) only once its apps are gone; the bootstrap account keeps its input', async () => {
    const id = dataOf(await call('POST', '/v1/accounts', { name: 'Short lived' }))[0]!.id as number;
    const app = dataOf(await call('POST', `/v1/apps?accountId=${id}`, { name: 'Shop', platforms: [{ os: 'iOS' }] }))[0]!;
    const refused = await call('DELETE', `/v1/accounts?accountId=${id}`);
    expect(refused.statusCode).toBe(422);
    expect(messages(refused)).toEqual(['All applications must be deleted before deleting account.']);
    expect((await call('DELETE', `/v1/apps/${app.id as number}/platforms/ios?accountId=${id}`)).statusCode).toBe(202);
    expect((await call('DELETE', `/v1/apps/${app.id as number}?accountId=${id}`)).statusCode).toBe(202);
    const deleted = await call('DELETE', `/v1/accounts?accountId=${id}`);
    expect(deleted.statusCode, deleted.body).toBe(202);
    expect((await call('GET', `/v1/accounts/${id}?accountId=1`)).statusCode).toBe(404);
    expect(messages(await call('DELETE', '/v1/accounts?accountId=1'))).toEqual([`The account's workspaces still have inputs ("Bootstrap input"); delete them before deleting the account.`]);
  });
});

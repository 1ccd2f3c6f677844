import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerAuth, CLIENT_ID, quantaApp } from '../../test/helpers/quanta-app.ts';
import { workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';

type Json = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

const FOREIGN_WS = workspaceId(77);
const OTHER_WS = workspaceId(2);
const base = (ws: number = 1) => `/platform/v2/workspaces/${ws}/privacy`;

let q: Quanta;
let bearer: string;
const call = (method: Method, url: string, payload?: unknown, auth: string | null = bearer) =>
  q.app.inject({
    method,
    url,
    headers: { ...(auth !== null ? { authorization: auth } : {}), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
  });
const messages = (res: { json(): unknown }) => (res.json() as { errors: { message: string }[] }).errors.map((e) => e.message);

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  q.stores.platform.saveTenant({ orgId: 1, accountId: 1, workspaceId: OTHER_WS });
  q.stores.platform.saveTenant({ orgId: 99, accountId: 99, workspaceId: FOREIGN_WS });
  bearer = await bearerAuth(q);
});
afterAll(async () => {
  await q.close();
});

describe('privacy settings API', () => {
  it("answers a workspace's defaults before anything is set: no regulation, no purpose, 7 days, GPC mapped to CCPA (inactive)", async () => {
    const res = await call('GET', base(OTHER_WS));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      workspace_id: 2,
      regulations: { gdpr: { enabled: false }, ccpa: { enabled: false } },
      purposes: [],
      erasure_waiting_period_days: 7,
      gpc: { enabled: true, regulation: 'ccpa', purpose: 'data_sale_opt_out', consented: true, document: 'browser_gpc_signal', active: false },
      last_modified_on: null,
    });
    expect(q.use('privacySettings').erasureWaitingPeriodMs(OTHER_WS)).toBe(7 * 86_400_000);
  });

  it('enables regulations, sets the waiting period and maps GPC to a defined GDPR purpose; CCPA brings data_sale_opt_out', async () => {
    const added = await call('POST', `${base()}/purposes`, { purpose: 'Targeting' });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toEqual({ regulation: 'gdpr', purpose: 'targeting', created_on: expect.any(String), created_by: `client_id:${CLIENT_ID}` });
    const res = await call('PATCH', base(), { regulations: { gdpr: { enabled: true }, ccpa: { enabled: true } }, erasure_waiting_period_days: 3, gpc: { regulation: 'gdpr', purpose: 'TARGETING' } });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as Json;
    expect(body).toMatchObject({
      regulations: { gdpr: { enabled: true }, ccpa: { enabled: true } },
      erasure_waiting_period_days: 3,
      gpc: { enabled: true, regulation: 'gdpr', purpose: 'targeting', consented: false, active: true },
      last_modified_on: expect.any(String),
    });
    expect((body.purposes as Json[]).map((p) => `${p.regulation}:${p.purpose}`)).toEqual(['gdpr:targeting', 'ccpa:data_sale_opt_out']);
    expect((await call('GET', base())).json()).toEqual(body);
    expect((await call('GET', `${base()}/purposes`)).json()).toEqual(body.purposes);
    expect(q.use('privacySettings').erasureWaitingPeriodMs(workspaceId(1))).toBe(3 * 86_400_000);
    // Back to CCPA: a partial change keeps the rest.
    const back = (await call('PATCH', base(), { gpc: { regulation: 'ccpa' } })).json() as Json;
    expect(back).toMatchObject({ erasure_waiting_period_days: 3, regulations: { gdpr: { enabled: true } }, gpc: { regulation: 'ccpa', purpose: 'data_sale_opt_out', active: true } });
  });

  it('keeps the settings and purposes in the state file: a Quanta started again on the data dir answers them', async () => {
    const { dataDir } = q.config;
    const before = (await call('GET', base())).json();
    await q.close();
    q = await quantaApp({ QUANTA_RATE_LIMIT: '0', QUANTA_DATA_DIR: dataDir });
    bearer = await bearerAuth(q);
    expect((await call('GET', base())).json()).toEqual(before);
  });

  it('never removes a purpose: 409 for one the workspace has, 404 for one it has not; adding one twice is a 409', async () => {
    const kept = await call('DELETE', `${base()}/purposes/Targeting`);
    expect(kept.statusCode).toBe(409);
    expect(kept.headers['x-quanta-error-code']).toBe('QUANTA_CONSENT_PURPOSE_PERMANENT');
    expect(messages(kept)[0]).toMatch(/"Targeting" cannot be removed/);
    expect((await call('DELETE', `${base()}/purposes/data_sale_opt_out`)).statusCode).toBe(409);
    const unknown = await call('DELETE', `${base()}/purposes/nope`);
    expect(unknown.statusCode).toBe(404);
    expect(messages(unknown)).toEqual(['Workspace 1 has no GDPR purpose "nope".']);
    const twice = await call('POST', `${base()}/purposes`, { purpose: 'targeting' });
    expect(twice.statusCode).toBe(409);
    expect(messages(twice)).toEqual(['Workspace 1 already has the GDPR purpose "targeting".']);
    expect(((await call('GET', `${base()}/purposes`)).json() as Json[]).filter((p) => p.regulation === 'gdpr')).toHaveLength(1);
  });

  const invalid: [string, Method, string, unknown, string[]][] = [
    ['a body that is not an object', 'PATCH', '', [1], ['The request body must be a JSON object of the settings to change.']],
    ['no body', 'PATCH', '', undefined, ['The request body must be a JSON object of the settings to change.']],
    [
      'wrong types and unknown fields',
      'PATCH',
      '',
      { regulations: { gdpr: { enabled: 'yes' }, ccpa: true, lgpd: {} }, erasure_waiting_period_days: 91, colour: 'red' },
      [
        'colour: unknown field; known fields are "regulations", "erasure_waiting_period_days", "gpc".',
        'regulations.lgpd: unknown field; known fields are "gdpr", "ccpa".',
        'regulations.gdpr.enabled: must be true or false.',
        'regulations.ccpa: must be an object, {"enabled": true|false}.',
        'erasure_waiting_period_days: must be a whole number of days from 0 to 90.',
      ],
    ],
    ['a fractional waiting period', 'PATCH', '', { erasure_waiting_period_days: 1.5 }, ['erasure_waiting_period_days: must be a whole number of days from 0 to 90.']],
    ['a GPC regulation that does not exist', 'PATCH', '', { gpc: { regulation: 'lgpd', enabled: 1 } }, ['gpc.enabled: must be true or false.', 'gpc.regulation: must be one of "gdpr", "ccpa".']],
    ['a GPC mapping to an undefined purpose', 'PATCH', '', { gpc: { regulation: 'gdpr', purpose: 'ads' } }, ['gpc.purpose: "ads" is not a GDPR purpose of the workspace; add it first (POST .../privacy/purposes).']],
    ['a GDPR mapping without a purpose', 'PATCH', '', { gpc: { regulation: 'gdpr' } }, ['gpc.purpose: required with "regulation": "gdpr", the GDPR purpose a GPC signal rejects.']],
    ['a CCPA mapping naming another purpose', 'PATCH', '', { gpc: { regulation: 'ccpa', purpose: 'ads' } }, ['gpc.purpose: a CCPA mapping\'s purpose is always "data_sale_opt_out"; leave it out.']],
    ['gpc not an object', 'PATCH', '', { gpc: true }, ['gpc: must be an object, {"enabled": true|false, "regulation": "ccpa"|"gdpr", "purpose": "<a GDPR purpose>"}.']],
    ['a purpose without a name', 'POST', '/purposes', { purpose: ' ' }, ['purpose: required, the name of the GDPR purpose (e.g. "marketing").']],
    ['a purpose body that is not an object', 'POST', '/purposes', 'marketing', ['The request body must be a JSON object, {"purpose": "<name>"}.']],
    ['a purpose too long', 'POST', '/purposes', { purpose: 'p'.repeat(101) }, ['purpose: longer than 100 characters.']],
    ['a purpose with spaces around it', 'POST', '/purposes', { purpose: ' ads' }, ['purpose: must not start or end with spaces nor hold control characters.']],
    ['CCPA\'s purpose as a GDPR one', 'POST', '/purposes', { purpose: 'Data_Sale_Opt_Out', note: 1 }, ['note: unknown field; known fields are "purpose".', 'purpose: "data_sale_opt_out" is CCPA\'s purpose, there when CCPA is enabled; it is not a GDPR purpose.']],
  ];
  it.each(invalid)('refuses %s with a 400 naming each problem, changing nothing', async (_what, method, path, body, expected) => {
    const before = (await call('GET', base())).json();
    const res = await call(method, `${base()}${path}`, typeof body === 'string' ? JSON.stringify(body) : body);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['x-quanta-error-code']).toMatch(/^QUANTA_CONSENT_(SETTINGS|PURPOSE)_INVALID$/);
    expect(messages(res)).toEqual(expected);
    expect((await call('GET', base())).json()).toEqual(before);
  });

  it("refuses callers without a token, and another organisation's workspace", async () => {
    expect((await call('GET', base(), undefined, null)).statusCode).toBe(401);
    expect((await call('PATCH', base(FOREIGN_WS), { erasure_waiting_period_days: 1 })).statusCode).toBe(403);
    expect((await call('POST', `${base(FOREIGN_WS)}/purposes`, { purpose: 'x' })).statusCode).toBe(403);
    expect((await call('GET', base(FOREIGN_WS))).statusCode).toBe(403);
    expect((await call('GET', '/platform/v2/workspaces/abc/privacy')).statusCode).toBe(400);
  });

  it('lists the routes in the OpenAPI document with their permission', async () => {
    const doc = (await q.app.inject('/openapi.json')).json() as { paths: Record<string, Record<string, { security?: unknown }>> };
    expect(Object.keys(doc.paths['/platform/v2/workspaces/{workspaceId}/privacy'] ?? {}).sort()).toEqual(['get', 'patch']);
    expect(Object.keys(doc.paths['/platform/v2/workspaces/{workspaceId}/privacy/purposes'] ?? {}).sort()).toEqual(['get', 'post']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { until } from '../../test/helpers/receiver.ts';
import { workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';

type Json = Record<string, unknown>;
const OTHER_WS = workspaceId(2);

let q: Quanta;
let bearer: string;
const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, auth: string | null = bearer) =>
  q.app.inject({
    method,
    url,
    headers: { ...(auth !== null ? { authorization: auth } : {}), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
  });
const basic = (key: string, secret: string) => `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
const post = (url: string, batch: unknown, authorization: string) =>
  q.app.inject({ method: 'POST', url, headers: { authorization, 'content-type': 'application/json' }, payload: JSON.stringify(batch) });
const messages = (res: { json(): unknown }) => (res.json() as { errors: { message: string }[] }).errors.map((e) => e.message);

async function createFeed(body: Json, ws = 1): Promise<{ id: number; key: string; secret: string }> {
  const res = await call('POST', `/v1/workspace/${ws}/partnerfeeds?accountId=${ws === 1 ? 1 : 2}`, body);
  expect(res.statusCode, res.body).toBe(201);
  const data = (res.json() as { data: { id: number; access_keys: { key: string; secret: string }[] }[] }).data[0]!;
  return { id: data.id, key: data.access_keys[0]!.key, secret: data.access_keys[0]!.secret };
}

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '5' });
  q.stores.platform.saveTenant({ orgId: 1, accountId: 2, workspaceId: OTHER_WS });
  bearer = await bearerAuth(q);
});
afterAll(async () => {
  await q.close();
});

describe('partner feeds (Platform API v1)', () => {
  it('lists the feed modules, CleverTap and Custom Feed among them', async () => {
    const res = await call('GET', '/v1/feedmodules?accountId=1');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { data: Json[]; data_type: string; errors: null };
    expect(body).toMatchObject({ data_type: 'feed_module', errors: null });
    expect(body.data.map((m) => m.name)).toEqual(expect.arrayContaining(['CleverTap', 'Custom Feed']));
    expect(((await call('GET', '/v1/feedmodules/clevertap?accountId=1')).json() as { data: Json[] }).data[0]).toMatchObject({ name: 'CleverTap', supported_identities: ['customer_id', 'email'] });
    expect((await call('GET', '/v1/feedmodules/radar?accountId=1')).statusCode).toBe(404);
    expect((await call('GET', '/v1/feedmodules')).statusCode).toBe(401);
  });

  it('creates a feed with its own key and secret (the secret only in this answer), lists and reads it', async () => {
    const res = await call('POST', '/v1/workspace/1/partnerfeeds?accountId=1', { module_name: 'CleverTap', name: 'CleverTap iOS', os: 'ios', settings: [], is_debug: false });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json() as { data: Json[]; data_type: string; errors: null };
    expect(created).toMatchObject({ data_type: 'Partner Feed', errors: null, data: [{ data_type: 'Partner Feed', id: expect.any(Number), created_on: expect.any(String), access_keys: [{ key: expect.stringMatching(/^qf_/), secret: expect.any(String) }] }] });
    const id = created.data[0]!.id as number;
    const listed = (await call('GET', '/v1/workspace/1/partnerfeeds?accountId=1')).json() as { data: Json[] };
    expect(listed.data).toContainEqual({ id, name: 'CleverTap iOS', data_type: 'partner_feed', created_on: created.data[0]!.created_on });
    const read = await call('GET', `/v1/partnerfeeds/${id}?accountId=1`);
    expect(read.json()).toEqual({ data: [{ module_name: 'CleverTap', name: 'CleverTap iOS', os: 'iOS', is_debug: false, settings: [], data_type: 'Partner Feed', id }], data_type: 'Partner Feed', errors: null });
    expect(read.body).not.toContain((created.data[0]!.access_keys as { secret: string }[])[0]!.secret);
  });

  it('refuses an unknown module, a platform not in the documented list, a duplicate name and an unknown setting, naming each', async () => {
    await createFeed({ module_name: 'Custom Feed', name: 'CRM', os: 'Unknown' });
    const res = await call('POST', '/v1/workspace/1/partnerfeeds?accountId=1', { module_name: 'Radar', name: 'crm', os: 'Windows', is_debug: 'yes', colour: 1 });
    expect(res.statusCode).toBe(400);
    expect(res.headers['x-quanta-error-code']).toBe('QUANTA_FEED_INVALID');
    expect(messages(res)).toEqual([
      'colour: not a field of a feed; a feed has module_name, name, os, settings, is_debug.',
      'module_name: there is no feed module "Radar"; the modules are "CleverTap", "Custom Feed" (GET /v1/feedmodules).',
      'name: the workspace already has an input named "crm"; names are unique.',
      'os: "Windows" is not a platform a feed acts as; use one of iOS, tvOS, Android, MobileWeb, Roku, Alexa, SmartTV, FireTV, Xbox, Unknown.',
      'is_debug: must be true or false.',
    ]);
    expect(messages(await call('POST', '/v1/workspace/1/partnerfeeds?accountId=1', { module_name: 'CleverTap', name: 'x', os: 'iOS', settings: [{ name: 'apiKey', value: 'k' }] }))).toEqual([
      'settings[0].name: the CleverTap module has no setting "apiKey"; it takes none.',
    ]);
  });

  it('takes the partner\'s batches with the feed\'s credentials on /s2s/v2/..., as partner data of that input; debug feeds\' as development data', async () => {
    const feed = await createFeed({ module_name: 'Custom Feed', name: 'Debug CRM', os: 'Unknown', is_debug: true });
    const batch = { environment: 'production', user_identities: { customer_id: 'feed-1' }, events: [{ event_type: 'custom_event', data: { event_name: 'Synced', custom_event_type: 'other' } }] };
    expect((await post('/s2s/v2/events', batch, basic(feed.key, feed.secret))).statusCode).toBe(202);
    expect((await post('/s2s/v2/bulkevents', [batch], basic(feed.key, feed.secret))).statusCode).toBe(202);
    expect((await post('/s2s/v2/events', batch, basic(feed.key, 'wrong'))).statusCode).toBe(403);
    expect((await post('/s2s/v2/events', batch, basic('qf_nobody', 'x'))).statusCode).toBe(403);
    await until('the batches in the delivery stream', async () => (await q.stores.delivery.pending(workspaceId(1), 0)).count >= 2);
    const stored = (await q.stores.delivery.read(workspaceId(1), 0, 100)).filter((b) => b.inputId === feed.id);
    expect(stored).toHaveLength(2);
    for (const b of stored) expect(b.batch.environment).toBe('development');
  });

  it('answers a partner sending too fast 429 with Retry-After, so it can wait and send again', async () => {
    const feed = await createFeed({ module_name: 'CleverTap', name: 'Fast CleverTap', os: 'Android' });
    const batch = { environment: 'production', user_identities: { customer_id: 'fast' }, events: [] };
    const answers: { status: number; retryAfter?: string }[] = [];
    // A bucket holds a second of batches, at least 100: three bulks of 100 at once outrun a limit of 5 per second.
    for (let i = 0; i < 3; i++) {
      const res = await post('/s2s/v2/bulkevents', Array.from({ length: 100 }, () => batch), basic(feed.key, feed.secret));
      answers.push({ status: res.statusCode, ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}) });
    }
    expect(answers[0]!.status).toBe(202);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    for (const a of limited) expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it('updates a feed, keeping its key and secret; another workspace\'s feed is not found', async () => {
    const feed = await createFeed({ module_name: 'Custom Feed', name: 'Before', os: 'Unknown' });
    const res = await call('PUT', `/v1/workspace/1/partnerfeeds/${feed.id}?accountId=1`, { module_name: 'Custom Feed', name: 'After', os: 'MobileWeb', is_debug: false });
    expect(res.statusCode, res.body).toBe(202);
    expect((await call('GET', `/v1/partnerfeeds/${feed.id}?accountId=1`)).json()).toMatchObject({ data: [{ name: 'After', os: 'MobileWeb' }] });
    const batch = { environment: 'production', user_identities: {}, events: [] };
    expect((await post('/s2s/v2/events', batch, basic(feed.key, feed.secret))).statusCode).toBe(202);
    expect((await call('PUT', `/v1/workspace/1/partnerfeeds/999999?accountId=1`, { module_name: 'Custom Feed', name: 'x', os: 'Unknown' })).statusCode).toBe(404);
    // Outside the account named, an entity is not found (mParticle's v1 rule).
    expect((await call('GET', `/v1/partnerfeeds/${feed.id}?accountId=2`)).statusCode).toBe(404);
    expect((await call('GET', '/v1/workspace/1/partnerfeeds?accountId=2')).statusCode).toBe(403);
  });
});

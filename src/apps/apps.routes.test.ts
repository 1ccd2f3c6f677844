import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, dataOf, type Json, messages, v1Caller } from '../../test/helpers/platform-v1.ts';
import { bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { until } from '../../test/helpers/receiver.ts';
import { workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';

let q: Quanta;
let call: ReturnType<typeof v1Caller>;
const ws = workspaceId(1);
type Key = { key: string; secret: string | null; data_type: string };
const keysOf = (platform: Json) => (platform.access_keys as Key[])[0]!;
const inputOf = (key: string) => q.stores.platform.inputs().find((i) => i.apiKey === key)!;
const post = (url: string, body: unknown, authorization: string) =>
  q.app.inject({ method: 'POST', url, headers: { authorization, 'content-type': 'application/json' }, payload: JSON.stringify(body) });

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  call = v1Caller(q, await bearerAuth(q));
});
afterAll(async () => {
  await q.close();
});

describe('apps and app platforms (Platform API v1)', () => {
  it('creates an app with its platforms (201), each with its own key and secret, the secret only in that answer', async () => {
    const res = await call('POST', '/v1/apps?accountId=1', { name: 'Test App', platforms: [{ os: 'iOS' }, { os: 'android' }] });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json() as { data: Json[]; dataType: string; errors: null };
    expect(body).toMatchObject({ dataType: 'application', errors: null });
    const app = body.data[0]!;
    expect(app).toMatchObject({ name: 'Test App', data_type: 'application', id: expect.any(Number) });
    const platforms = app.platforms as Json[];
    expect(platforms.map((p) => p.os)).toEqual(['iOS', 'Android']);
    expect(platforms[0]).toMatchObject({
      application_id: app.id,
      crash_handling: null,
      network_performance: null,
      social_mode: null,
      profile_merging: true,
      push_attribution_timer: 30,
      data_type: 'platform',
    });
    const keys = platforms.map(keysOf);
    for (const k of keys) expect(k).toEqual({ key: expect.stringMatching(/^qa_/), secret: expect.stringMatching(/^[0-9a-f]{48}$/), data_type: 'token' });
    expect(new Set(keys.map((k) => k.key)).size).toBe(2);

    const read = await call('GET', `/v1/apps/${app.id as number}?accountId=1`);
    expect(read.statusCode).toBe(200);
    expect((dataOf(read)[0]!.platforms as Json[]).map((p) => keysOf(p))).toEqual(keys.map((k) => ({ ...k, secret: null })));
    for (const k of keys) expect(read.body).not.toContain(k.secret);
    expect(dataOf(await call('GET', '/v1/apps?accountId=1')).map((a) => a.name)).toContain('Test App');
    const one = await call('GET', `/v1/apps/${app.id as number}/platforms/ANDROID?accountId=1`);
    expect(one.json()).toMatchObject({ dataType: 'platform', errors: null, data: [{ os: 'Android', access_keys: [{ key: keys[1]!.key, secret: null }] }] });
    expect(dataOf(await call('GET', `/v1/apps/${app.id as number}/platforms?accountId=1`))).toHaveLength(2);
    expect((await call('GET', `/v1/apps/${app.id as number}/platforms/roku?accountId=1`)).statusCode).toBe(404);
    expect((await call('GET', '/v1/apps?accountId=1', undefined, null)).statusCode).toBe(401);
    expect((await call('GET', '/v1/apps')).statusCode).toBe(401);
  });

  it('takes the platform\'s key and secret on the Events API and tags the data with its input and platform', async () => {
    const app = dataOf(await call('POST', '/v1/apps?accountId=1', { name: 'Tagged', platforms: [{ os: 'iOS' }] }))[0]!;
    const { key, secret } = keysOf((app.platforms as Json[])[0]!);
    const batch = { environment: 'production', user_identities: { customer_id: 'app-user-1' }, events: [{ event_type: 'custom_event', data: { event_name: 'Opened', custom_event_type: 'navigation' } }] };
    expect((await post('/v2/events', batch, basic(key, secret!))).statusCode).toBe(202);
    expect((await post('/v2/events', batch, basic(key, 'wrong'))).statusCode).toBe(403);
    const input = inputOf(key);
    expect(input).toMatchObject({ workspaceId: ws, name: 'Tagged iOS', appPlatform: { appId: app.id, os: 'iOS' } });
    const events = q.use('events');
    await until('the event in the event store', async () => (await events.count({ workspaceId: ws, inputIds: [input.id] })) === 1);
    const [stored] = await events.list({ workspaceId: ws, inputIds: [input.id] }, 10);
    expect(stored).toMatchObject({ inputId: input.id, platform: 'iOS', eventName: 'Opened' });
    // IDSync, Segment (the key as writeKey) and the Web SDK's path take the key too, tagging the input.
    const identify = await post('/identity/v1/identify', { environment: 'production', known_identities: { customerid: 'app-user-1' } }, basic(key, secret!));
    expect(identify.statusCode, identify.body).toBe(200);
    const segment = await post('/segment/v1/track', { userId: 'app-user-1', event: 'Segment track', messageId: 'app-seg-1' }, `Basic ${Buffer.from(`${key}:`).toString('base64')}`);
    expect(segment.statusCode, segment.body).toBe(200);
    const web = await q.app.inject({
      method: 'POST',
      url: `/webevents/v3/JS/${key}/events`,
      headers: { 'content-type': 'text/plain;charset=utf-8' },
      payload: JSON.stringify({ mpid: '123', events: [{ event_type: 'custom_event', data: { event_name: 'Web beacon', custom_event_type: 'other' } }] }),
    });
    expect(web.statusCode, web.body).toBe(202);
    await until('the Segment and Web SDK events under the input', async () => (await events.count({ workspaceId: ws, inputIds: [input.id] })) === 3);
    const names = (await events.list({ workspaceId: ws, inputIds: [input.id] }, 10)).map((e) => e.eventName).sort();
    expect(names).toEqual(['Opened', 'Segment track', 'Web beacon']);
  });

  it('refuses what mParticle documents, with its messages', async () => {
    const create = async (body: unknown) => {
      const res = await call('POST', '/v1/apps?accountId=1', body);
      expect(res.statusCode, res.body).toBe(422);
      expect((res.json() as { errors: { code: string }[] }).errors[0]!.code).toBe('VALIDATION_ERROR');
      return messages(res);
    };
    await call('POST', '/v1/apps?accountId=1', { name: 'Taken', platforms: [{ os: 'Roku' }] });
    expect(await create({ platforms: [{ os: 'iOS' }] })).toEqual(['App name not specified.']);
    expect(await create({ name: 'TAKEN', platforms: [{ os: 'iOS' }] })).toEqual(['App name already exists.']);
    expect(await create({ name: 'Empty', platforms: [] })).toEqual(['App must have at least one platform selected.']);
    expect(await create({ name: 'Windows', platforms: [{ os: 'Windows' }] })).toEqual(['Invalid os specified.']);
    expect(await create({ name: 'Twice', platforms: [{ os: 'iOS' }, { os: 'ios' }] })).toEqual(['Platform already exists for the specified App.']);
    expect(await create({ name: 'Odd', platforms: [{ os: 'iOS', crash_handling: 'Sometimes', push_attribution_timer: -1 }] })).toEqual([
      'crash_handling: "Sometimes" is not one of "AppDefined", "ForceCatch", "ForceIgnore".',
      'push_attribution_timer: must be a whole number of minutes, 0 or more.',
    ]);
    expect(dataOf(await call('GET', '/v1/apps?accountId=1')).map((a) => a.name)).not.toContain('Odd');
  });

  it('adds a platform (201), changes its settings (202) and deletes it (202), after which its key is refused', async () => {
    const app = dataOf(await call('POST', '/v1/apps?accountId=1', { name: 'Grows', platforms: [{ os: 'iOS' }] }))[0]!;
    const id = app.id as number;
    const added = await call('POST', `/v1/apps/${id}?accountId=1`, { os: 'android', profile_merging: false, crash_handling: 'forcecatch' });
    expect(added.statusCode, added.body).toBe(201);
    const platform = dataOf(added)[0]!;
    expect(platform).toMatchObject({ application_id: id, os: 'Android', crash_handling: 'ForceCatch', profile_merging: false, access_keys: [{ secret: expect.any(String) }] });
    const { key, secret } = keysOf(platform);
    expect(messages(await call('POST', `/v1/apps/${id}?accountId=1`, { os: 'Android' }))).toEqual(['Platform already exists for the specified App.']);
    expect(messages(await call('POST', `/v1/apps/${id}?accountId=1`, { os: 'Windows' }))).toEqual(['Invalid os specified.']);
    const missing = await call('POST', '/v1/apps/999999?accountId=1', { os: 'iOS' });
    expect(missing.statusCode).toBe(404);
    expect(messages(missing)).toEqual(['Could not create platform: App does not exist or you do not have access.']);

    const updated = await call('PUT', `/v1/apps/${id}/platforms/android?accountId=1`, { push_attribution_timer: 45, network_performance: 'ForceTrue', social_mode: 'FacebookAndTwitter' });
    expect(updated.statusCode, updated.body).toBe(202);
    expect(dataOf(updated)[0]).toMatchObject({ os: 'Android', push_attribution_timer: 45, network_performance: 'ForceTrue', social_mode: 'FacebookAndTwitter', crash_handling: 'ForceCatch', access_keys: [{ key, secret: null }] });
    expect(messages(await call('PUT', `/v1/apps/${id}/platforms/android?accountId=1`, { profile_merging: 'yes' }))).toEqual(['profile_merging: must be true or false.']);

    const batch = { environment: 'production', user_identities: {}, events: [] };
    expect((await post('/v2/events', batch, basic(key, secret as string))).statusCode).toBe(202);
    expect((await call('DELETE', `/v1/apps/${id}/platforms/android?accountId=1`)).statusCode).toBe(202);
    expect((await post('/v2/events', batch, basic(key, secret as string))).statusCode).toBe(403);
    expect((await call('GET', `/v1/apps/${id}/platforms/android?accountId=1`)).statusCode).toBe(404);
  });

  it('renames an app and its inputs (202), deletes it (202) only without platforms', async () => {
    const app = dataOf(await call('POST', '/v1/apps?accountId=1', { name: 'Old name', platforms: [{ os: 'MobileWeb' }] }))[0]!;
    const id = app.id as number;
    const { key } = keysOf((app.platforms as Json[])[0]!);
    expect(inputOf(key).allowKeyOnly).toBe(true);
    const renamed = await call('PUT', `/v1/apps/${id}?accountId=1`, { name: 'New name' });
    expect(renamed.statusCode, renamed.body).toBe(202);
    expect(dataOf(renamed)[0]).toMatchObject({ id, name: 'New name' });
    expect(inputOf(key).name).toBe('New name MobileWeb');
    expect(messages(await call('PUT', `/v1/apps/${id}?accountId=1`, { name: '' }))).toEqual(['App name must be specified.']);
    expect(messages(await call('DELETE', `/v1/apps/${id}?accountId=1`))).toEqual(['Deleting an app that has active platforms is not allowed.']);
    expect((await call('DELETE', `/v1/apps/${id}/platforms/mobileweb?accountId=1`)).statusCode).toBe(202);
    expect((await call('DELETE', `/v1/apps/${id}?accountId=1`)).statusCode).toBe(202);
    expect((await call('GET', `/v1/apps/${id}?accountId=1`)).statusCode).toBe(404);
  });

  it('keeps each account\'s apps to itself: another account\'s app is not found', async () => {
    const other = dataOf(await call('POST', '/v1/accounts', { name: 'Other account' }))[0]!.id as number;
    const mine = dataOf(await call('POST', '/v1/apps?accountId=1', { name: 'Mine', platforms: [{ os: 'Xbox' }] }))[0]!;
    const theirs = dataOf(await call('POST', `/v1/apps?accountId=${other}`, { name: 'Mine', platforms: [{ os: 'Xbox' }] }));
    expect(theirs[0]).toMatchObject({ name: 'Mine' });
    const id = mine.id as number;
    for (const [method, url] of [
      ['GET', `/v1/apps/${id}?accountId=${other}`],
      ['GET', `/v1/apps/${id}/platforms?accountId=${other}`],
      ['PUT', `/v1/apps/${id}/platforms/xbox?accountId=${other}`],
      ['DELETE', `/v1/apps/${id}?accountId=${other}`],
      ['GET', `/v1/apps/${id}/datapoints?accountId=${other}`],
    ] as const) {
      const res = await call(method, url, method === 'PUT' ? {} : undefined);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.body).not.toContain('"platforms"');
    }
    expect(dataOf(await call('GET', `/v1/apps?accountId=${other}`)).map((a) => a.id)).toEqual([theirs[0]!.id]);
    const elsewhere = await call('POST', `/v1/apps?accountId=${other}&workspaceId=1`, { name: 'Elsewhere', platforms: [{ os: 'iOS' }] });
    expect(elsewhere.statusCode).toBe(404);
  });
});

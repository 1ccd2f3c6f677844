import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceId, type Mpid } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';
import { API_KEY, basicAuth, bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';

const ws = workspaceId(1);
const DAY = 24 * 3600_000;
let q: Quanta;
let anon: string;
let known: string;
const t0 = Date.now() - 10 * DAY;

const post = (url: string, payload: unknown, headers: Record<string, string> = { authorization: basicAuth() }) =>
  q.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(payload) });
const identify = async (known_identities: Record<string, string>) =>
  (await post('/identity/v1/identify', { environment: 'production', known_identities })).json().mpid as string;

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0', QUANTA_ALIAS_DELAY_SECONDS: '0' });
  anon = await identify({ ios_idfv: 'alias-device' });
  known = await identify({ customerid: 'alias-known' });
  const screen = (name: string, ts: number) => ({ event_type: 'screen_view', data: { screen_name: name, timestamp_unixtime_ms: ts } });
  await post('/v2/events', {
    mpid: anon,
    events: [
      screen('Early', t0),
      screen('Middle', t0 + DAY),
      { event_type: 'custom_event', data: { event_name: 'attribution', custom_event_type: 'attribution', custom_attributes: { publisher: 'p', campaign: 'c' }, timestamp_unixtime_ms: t0 + DAY } },
    ],
  });
  await post('/v2/events', { mpid: known, events: [screen('Known', t0 + 5 * DAY)] });
  await q.processor.caughtUp();
});
afterAll(async () => {
  await q.close();
});

describe('alias requests', () => {
  it('copy the source\'s events in range, its first seen time and attribution to the destination', async () => {
    const res = await post('/v1/identity/alias', {
      environment: 'production',
      request_id: 'alias-1',
      source_mpid: anon,
      destination_mpid: known,
      start_unixtime_ms: t0 + DAY - 1000,
      end_unixtime_ms: t0 + 2 * DAY,
    });
    expect(res.statusCode).toBe(202);
    await q.use('aliasWorker').runDue();
    const events = await q.use('events').list({ workspaceId: ws, mpid: known as Mpid }, 10);
    expect(events.map((e) => [e.eventName, e.aliasedFrom])).toEqual([
      ['Middle', anon],
      ['attribution', anon],
      ['Known', null],
    ]);
    const profile = (await q.app.inject({ method: 'GET', url: `/userprofile/v1/1/1/1/${known}?fields=attribution`, headers: { authorization: await bearerAuth(q) } })).json();
    expect(profile.attribution).toMatchObject({ publisher: 'p', campaign: 'c' });
    const history = await q.stores.identity.history(ws, known as Mpid);
    expect(history.at(-1)).toMatchObject({ action: 'merged', reason: { operation: 'alias', requestId: 'alias-1', detail: `merged from ${anon}` } });
    expect((await q.stores.identity.history(ws, anon as Mpid)).at(-1)).toMatchObject({ action: 'aliased' });
    expect((await q.stores.identity.loadAliases()).find((a) => a.id === 'alias-1')?.status).toBe('completed');
  });

  it('are accepted but refused, with the reason kept, when they break the aliasing rules', async () => {
    const other = await identify({ customerid: 'alias-other' });
    // The source was already aliased over an overlapping range.
    expect((await post('/v1/identity/alias', { request_id: 'alias-2', source_mpid: anon, destination_mpid: other, start_unixtime_ms: t0, end_unixtime_ms: t0 + 3 * DAY })).statusCode).toBe(202);
    // The source was the destination of an earlier request.
    expect((await post('/v1/identity/alias', { request_id: 'alias-3', source_mpid: known, destination_mpid: other })).statusCode).toBe(202);
    await q.use('aliasWorker').runDue();
    const byId = new Map((await q.stores.identity.loadAliases()).map((a) => [a.id, a]));
    expect(byId.get('alias-2')).toMatchObject({ status: 'rejected', detail: expect.stringMatching(/overlapping time range/) });
    expect(byId.get('alias-3')).toMatchObject({ status: 'rejected', detail: expect.stringMatching(/was the destination of an earlier/) });
    expect(await q.use('events').count({ workspaceId: ws, mpid: other as Mpid })).toBe(0);
  });

  it('are taken from the Web SDK as it sends them, key in the path', async () => {
    const recorded = (JSON.parse(readFileSync(new URL('../../test/fixtures/real-clients/websdk.json', import.meta.url), 'utf8')) as {
      method: string;
      path: string;
      body: { data: Record<string, unknown> };
    }[]).find((r) => r.method === 'POST' && r.path.endsWith('/Alias'))!.body;
    const source = await identify({ device_application_stamp: 'web-alias-das' });
    const destination = await identify({ customerid: 'web-alias-known' });
    const body = { ...recorded, api_key: API_KEY, data: { ...recorded.data, source_mpid: source, destination_mpid: destination } };
    const res = await q.app.inject({ method: 'POST', url: `/webevents/v1/identity/${API_KEY}/Alias`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    expect(res.statusCode).toBe(202);
    const wrongKey = await q.app.inject({ method: 'POST', url: '/webevents/v1/identity/nope/Alias', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    expect(wrongKey.statusCode).toBe(401);
  });

  const invalid: [string, () => Record<string, unknown>, RegExp][] = [
    ['the same source and destination', () => ({ source_mpid: anon, destination_mpid: anon }), /same as the destination/],
    ['an unknown source', () => ({ source_mpid: '12345', destination_mpid: known }), /source MPID 12345 does not exist/],
    ['a missing destination', () => ({ source_mpid: anon }), /destination_mpid is required/],
    ['a start after the end', () => ({ source_mpid: anon, destination_mpid: known, start_unixtime_ms: 2000, end_unixtime_ms: 1000 }), /start_unixtime_ms is after/],
    ['a range over 90 days', () => ({ source_mpid: anon, destination_mpid: known, start_unixtime_ms: 0, end_unixtime_ms: 91 * DAY }), /more than 90 days/],
  ];

  it.each(invalid)('answer 400 for %s, keeping nothing', async (_name, body, message) => {
    const before = (await q.stores.identity.loadAliases()).length;
    const res = await post('/v1/identity/alias', { environment: 'production', ...body() });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { message: string }) => e.message).join(' | ')).toMatch(message);
    expect((await q.stores.identity.loadAliases()).length).toBe(before);
  });

  it('answer 401 to bad credentials', async () => {
    expect((await post('/v1/identity/alias', { source_mpid: anon, destination_mpid: known }, { authorization: basicAuth('x', 'y') })).statusCode).toBe(401);
  });
});

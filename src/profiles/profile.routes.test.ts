import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Quanta } from '../main.ts';
import { basicAuth, bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';

let q: Quanta;
let bearer: string;
let mpid: string;

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  bearer = await bearerAuth(q);
  const events = (payload: unknown) =>
    q.app.inject({ method: 'POST', url: '/v2/events', headers: { authorization: basicAuth(), 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
  await events({
    user_identities: { customerid: 'prof-1', email: 'prof-1@example.com' },
    device_info: { platform: 'Android', android_advertising_id: 'gaid-1', android_uuid: 'aid-1' },
    user_attributes: { plan: 'gold', $city: 'New York', recs: ['1', '2'] },
    events: [{ event_type: 'custom_event', data: { event_name: 'attribution', custom_event_type: 'attribution', custom_attributes: { publisher: 'pub', campaign: 'camp' } } }],
  });
  await events({ user_identities: { customerid: 'prof-1' }, user_attributes: { plan: 'platinum' }, deleted_user_attributes: ['$city'], events: [] });
  await q.processor.caughtUp();
  mpid = (await q.app.inject({ method: 'POST', url: '/identity/v1/search', headers: { authorization: basicAuth() }, payload: { environment: 'production', known_identities: { customerid: 'prof-1' } } })).json().mpid;
});
afterAll(async () => {
  await q.close();
});

const get = (url: string, auth = bearer) => q.app.inject({ method: 'GET', url, headers: { authorization: auth } });

describe('Profile API', () => {
  it('returns a profile by MPID with the fields asked for, mpid as an exact number', async () => {
    const res = await get(`/userprofile/v1/1/1/1/${mpid}?fields=user_identities,device_identities,user_attributes,audience_memberships,attribution`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`"mpid":${mpid},`);
    const body = res.json();
    expect(body).toMatchObject({
      is_opted_out: false,
      limit_ad_tracking: null,
      account_userattributes: null,
      user_attributes: { plan: 'platinum', recs: ['1', '2'] },
      audience_memberships: [],
      attribution: { publisher: 'pub', campaign: 'camp' },
    });
    expect(body.user_attributes.$city).toBeUndefined();
    expect(body.user_identities).toEqual(
      expect.arrayContaining([
        { type: 'customer_id', encoding: 'none', value: 'prof-1' },
        { type: 'email', encoding: 'none', value: 'prof-1@example.com' },
      ]),
    );
    expect(body.device_identities).toEqual(
      expect.arrayContaining([
        { type: 'google_advertising_id', encoding: 'none', value: 'gaid-1' },
        { type: 'android_id', encoding: 'none', value: 'aid-1' },
      ]),
    );
    expect(body.created_timestamp_ms).toBeLessThanOrEqual(body.last_stored_timestamp_ms);
  });

  it('returns only the fields asked for', async () => {
    const body = (await get(`/userprofile/v1/1/1/1/${mpid}?fields=user_identities`)).json();
    expect(body.user_identities).toBeDefined();
    expect(body.user_attributes).toBeUndefined();
    expect(body.device_identities).toBeUndefined();
  });

  it('resolves a profile by an immutable identity', async () => {
    const res = await q.app.inject({
      method: 'POST',
      url: '/userprofile/v1/resolve/1/1/1?fields=user_attributes',
      headers: { authorization: bearer },
      payload: { environment_type: 'production', identity: { type: 'customer_id', value: 'prof-1' } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ user_attributes: { plan: 'platinum' } });
    expect(res.body).toContain(`"mpid":${mpid},`);
  });

  const cases: [string, () => ReturnType<typeof get>, number, RegExp][] = [
    ['no token', () => get(`/userprofile/v1/1/1/1/${'1'}?fields=user_attributes`, ''), 401, /Bearer/],
    ['a wrong token', () => get(`/userprofile/v1/1/1/1/1?fields=user_attributes`, 'Bearer nope'), 401, /unknown or expired/],
    ['another org', () => get(`/userprofile/v1/2/1/1/1?fields=user_attributes`), 403, /not in org 2/],
    ['another account', () => get(`/userprofile/v1/1/9/1/1?fields=user_attributes`), 403, /account 9/],
    ['an unknown workspace', () => get(`/userprofile/v1/1/1/7/1?fields=user_attributes`), 403, /Workspace 7/],
    ['no fields', () => get(`/userprofile/v1/1/1/1/1`), 400, /fields query parameter is required/],
    ['an unknown field', () => get(`/userprofile/v1/1/1/1/1?fields=shoe_size`), 400, /Unknown fields shoe_size/],
    ['an unknown mpid', () => get(`/userprofile/v1/1/1/1/12345?fields=user_attributes`), 404, /No user profile has mpid 12345/],
    [
      'a mutable identity type',
      () =>
        q.app.inject({
          method: 'POST',
          url: '/userprofile/v1/resolve/1/1/1?fields=user_attributes',
          headers: { authorization: bearer },
          payload: { environment_type: 'production', identity: { type: 'email', value: 'prof-1@example.com' } },
        }),
      400,
      /"email" is not an immutable identity/,
    ],
    [
      'an unknown immutable identity',
      () =>
        q.app.inject({
          method: 'POST',
          url: '/userprofile/v1/resolve/1/1/1?fields=user_attributes',
          headers: { authorization: bearer },
          payload: { environment_type: 'production', identity: { type: 'customer_id', value: 'nobody' } },
        }),
      404,
      /No user profile has customer_id "nobody"/,
    ],
  ];

  it.each(cases)('answers %s with the documented error', async (_name, send, status, message) => {
    const res = await send();
    expect(res.statusCode).toBe(status);
    expect(res.json().errors.map((e: { message: string }) => e.message).join(' | ')).toMatch(message);
  });
});

describe('explainable identity', () => {
  it('says why each identity is on a profile, with the whole history', async () => {
    const res = await get(`/platform/v2/workspaces/1/identities/${mpid}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`"mpid":${mpid},`);
    const body = res.json();
    const email = body.identities.find((i: { type: string }) => i.type === 'email');
    expect(email).toMatchObject({
      value: 'prof-1@example.com',
      why: { action: 'identity_added', reason: { operation: 'events', source: 'events_api', strategy: 'profile_conversion' } },
    });
    expect(body.created).toMatchObject({ action: 'created', reason: { detail: 'no profile matched the request' } });
    expect(body.history.length).toBeGreaterThanOrEqual(4);
  });

  it('answers 404 for an unknown user and 401 without a token', async () => {
    expect((await get('/platform/v2/workspaces/1/identities/999')).statusCode).toBe(404);
    expect((await get(`/platform/v2/workspaces/1/identities/${mpid}`, '')).statusCode).toBe(401);
  });
});

import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';
import { API_KEY, API_SECRET, basicAuth, quantaApp } from '../../test/helpers/quanta-app.ts';

let q: Quanta;
const recorded = JSON.parse(
  readFileSync(new URL('../../test/fixtures/real-clients/websdk.json', import.meta.url), 'utf8'),
) as { method: string; path: string; body: Record<string, unknown> }[];
const webRequest = (path: string) => recorded.find((r) => r.method === 'POST' && r.path.endsWith(path))!.body;

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
});
afterAll(async () => {
  await q.close();
});

function post(url: string, payload: unknown, headers: Record<string, string> = { authorization: basicAuth() }) {
  return q.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

/** A time as mParticle's docs write the Date header: ISO 8601 basic, e.g. 20170712T224127Z. */
const isoBasic = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
const sign = (date: string, body: string, path = '/v1/identify') => createHmac('sha256', API_SECRET).update(`POST\n${date}\n${path}${body}`).digest('hex');

const identify = (known: Record<string, string>, extra: Record<string, unknown> = {}) => ({ environment: 'production', known_identities: known, ...extra });

describe('Identity API', () => {
  it('identifies: a new MPID for new identities, the same one after', async () => {
    const first = await post('/identity/v1/identify', identify({ customerid: 'id-1', email: 'id-1@example.com' }));
    expect(first.statusCode).toBe(200);
    const body = first.json();
    expect(body).toEqual({ context: null, mpid: expect.stringMatching(/^-?\d+$/), matched_identities: {}, is_ephemeral: false, is_logged_in: true });
    const again = (await post('/identity/v1/identify', identify({ customerid: 'id-1' }))).json();
    expect(again).toMatchObject({ mpid: body.mpid, matched_identities: { customerid: 'id-1' }, is_logged_in: true });
  });

  it('serves the Web SDK\'s own identify, login, modify and logout requests, key-only', async () => {
    const key = { 'x-mp-key': API_KEY };
    const id = await post('/identity/v1/identify', webRequest('/identity/v1/identify'), key);
    expect(id.statusCode).toBe(200);
    const mpid = id.json().mpid as string;
    const login = await post('/identity/v1/login', { ...webRequest('/identity/v1/login'), previous_mpid: mpid }, key);
    expect(login.statusCode).toBe(200);
    const known = login.json().mpid as string;
    const modify = await post(`/identity/v1/${known}/modify`, webRequest('/modify'), key);
    expect(modify.statusCode).toBe(200);
    expect(modify.json()).toEqual({});
    const logout = await post('/identity/v1/logout', { ...webRequest('/identity/v1/logout'), previous_mpid: known }, key);
    expect(logout.statusCode).toBe(200);
    expect(logout.json().mpid).not.toBe(known);
    expect(logout.json().is_logged_in).toBe(false);
  });

  it('accepts HMAC digests over the path as requested or as mParticle clients sign it', async () => {
    const body = JSON.stringify(identify({ customerid: 'hmac-1' }));
    const date = isoBasic(Date.now());
    for (const signed of ['/identity/v1/identify', '/v1/identify']) {
      const signature = sign(date, body, signed);
      const res = await post('/identity/v1/identify', body, { 'x-mp-key': API_KEY, date, 'x-mp-signature': signature });
      expect(res.statusCode).toBe(200);
    }
    const wrong = await post('/identity/v1/identify', body, { 'x-mp-key': API_KEY, date, 'x-mp-signature': 'ab'.repeat(32) });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().errors[0].message).toMatch(/x-mp-signature does not match/);
  });

  it('refuses a signed request whose Date is stale or not a date: a captured request cannot be replayed', async () => {
    const body = JSON.stringify(identify({ customerid: 'hmac-stale' }));
    for (const [date, message] of [
      ['20170712T224127Z', /more than 15 minutes from the server's time/],
      [isoBasic(Date.now() + 20 * 60_000), /more than 15 minutes/],
      ['yesterday', /is not a date/],
    ] as const) {
      const res = await post('/identity/v1/identify', body, { 'x-mp-key': API_KEY, date, 'x-mp-signature': sign(date, body) });
      expect(res.statusCode).toBe(401);
      expect(res.json().errors[0].message).toMatch(message);
    }
    const httpDate = new Date().toUTCString();
    expect((await post('/identity/v1/identify', body, { 'x-mp-key': API_KEY, date: httpDate, 'x-mp-signature': sign(httpDate, body) })).statusCode).toBe(200);
  });

  it('answers read_only requests without changing anything', async () => {
    const before = (await q.stores.identity.loadAll()).length;
    const fresh = await post('/identity/v1/identify?read_only=true', identify({ customerid: 'ro-1' }));
    expect(fresh.statusCode).toBe(200);
    expect(fresh.json()).toMatchObject({ mpid: expect.stringMatching(/^-?\d+$/), matched_identities: {}, is_logged_in: true });
    expect((await q.stores.identity.loadAll()).length).toBe(before);
    expect((await post('/identity/v1/search', identify({ customerid: 'ro-1' }))).statusCode).toBe(404);
    const known = (await post('/identity/v1/identify', identify({ customerid: 'ro-2' }))).json().mpid;
    const login = await post('/identity/v1/login?read_only=true', identify({ customerid: 'ro-2', email: 'ro-2@example.com' }));
    expect(login.json()).toMatchObject({ mpid: known, matched_identities: { customerid: 'ro-2' } });
    expect((await post('/identity/v1/search', identify({ email: 'ro-2@example.com' }))).statusCode).toBe(404);
    expect((await post('/identity/v1/identify?read_only=maybe', identify({ customerid: 'ro-3' }))).statusCode).toBe(400);
  });

  it('searches without creating, and answers 404 when nobody matches', async () => {
    const made = (await post('/identity/v1/identify', identify({ customerid: 'search-1' }))).json().mpid;
    const found = await post('/identity/v1/search', identify({ customerid: 'search-1' }));
    expect(found.json()).toMatchObject({ mpid: made, matched_identities: { customerid: 'search-1' } });
    const missing = await post('/identity/v1/search', identify({ customerid: 'nobody' }));
    expect(missing.statusCode).toBe(404);
    expect(missing.json().errors[0].code).toBe('NOT_FOUND');
  });

  it('gives two concurrent logins of one new customer one MPID', async () => {
    const [a, b] = await Promise.all([
      post('/identity/v1/login', identify({ customerid: 'race-1', ios_idfv: 'd1' })),
      post('/identity/v1/login', identify({ customerid: 'race-1', ios_idfv: 'd2' })),
    ]);
    expect(a.json().mpid).toBe(b.json().mpid);
  });

  it('resolves Events API batches without an mpid by IDSync, at the edge', async () => {
    const mpid = (await post('/identity/v1/identify', identify({ customerid: 'batch-user' }))).json().mpid as string;
    const res = await post(
      '/v2/events',
      { user_identities: { customerid: 'batch-user' }, events: [{ event_type: 'custom_event', data: { event_name: 'Resolved' } }] },
    );
    expect(res.statusCode).toBe(202);
    await q.processor.caughtUp();
    const [event] = await q.use('events').list({ workspaceId: workspaceId(1), mpid: mpid as never }, 5);
    expect(event?.eventName).toBe('Resolved');
  });
});

describe('bulk batches of one new user', () => {
  it('resolve to one MPID, though a request\'s batches are resolved together', async () => {
    const batch = (n: number) => ({ user_identities: { customerid: 'bulk-same-user' }, events: [{ event_type: 'custom_event', data: { event_name: `Bulk ${n}` } }] });
    expect((await post('/v2/bulkevents', [batch(1), batch(2), batch(3)])).statusCode).toBe(202);
    await q.processor.caughtUp();
    const mpid = (await post('/identity/v1/search', identify({ customerid: 'bulk-same-user' }))).json().mpid as string;
    const events = await q.use('events').list({ workspaceId: workspaceId(1), mpid: mpid as never }, 10);
    expect(events.map((e) => e.eventName)).toEqual(['Bulk 1', 'Bulk 2', 'Bulk 3']);
  });
});

describe('Identity API bad input: the documented error, nothing changed', () => {
  const cases: [string, () => ReturnType<typeof post>, number, RegExp][] = [
    ['no credentials', () => post('/identity/v1/identify', identify({ customerid: 'x' }), {}), 401, /Basic auth/],
    ['a wrong secret', () => post('/identity/v1/identify', identify({ customerid: 'x' }), { authorization: basicAuth(API_KEY, 'no') }), 401, /do not match/],
    ['an unknown key', () => post('/identity/v1/identify', identify({ customerid: 'x' }), { 'x-mp-key': 'nope' }), 401, /x-mp-key/],
    ['an unknown identity type', () => post('/identity/v1/identify', identify({ favourite_colour: 'blue' })), 400, /"favourite_colour" is not an identity type/],
    ['no identities', () => post('/identity/v1/identify', identify({})), 400, /at least one identity/],
    ['a missing environment', () => post('/identity/v1/identify', { known_identities: { customerid: 'x' } }), 400, /environment/],
    ['malformed JSON', () => post('/identity/v1/login', '{"known_identities":'), 400, /not valid JSON/],
    ['an unknown mpid', () => post('/identity/v1/12345/modify', { environment: 'production', identity_changes: [] }), 404, /No user has mpid 12345/],
    ['a malformed mpid', () => post('/identity/v1/abc/modify', { environment: 'production', identity_changes: [] }), 400, /not an mpid/],
  ];

  it.each(cases)('%s', async (_name, send, status, message) => {
    const before = (await q.stores.identity.loadAll()).length;
    const res = await send();
    expect(res.statusCode).toBe(status);
    expect(res.json().errors.map((e: { message: string }) => e.message).join(' | ')).toMatch(message);
    expect((await q.stores.identity.loadAll()).length).toBe(before);
  });
});

describe('a workspace configured for another identity strategy', () => {
  it('follows it: profile link gives a new known user a new MPID', async () => {
    const linked = await quantaApp({ QUANTA_IDENTITY_STRATEGY: 'profile_link' });
    try {
      const call = (url: string, payload: unknown) =>
        linked.app.inject({ method: 'POST', url, headers: { authorization: basicAuth(), 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
      const anon = (await call('/identity/v1/identify', identify({ ios_idfv: 'link-device' }))).json().mpid;
      const known = (await call('/identity/v1/login', identify({ customerid: 'link-1', ios_idfv: 'link-device' }, { previous_mpid: anon }))).json();
      expect(known.mpid).not.toBe(anon);
      expect(known.is_logged_in).toBe(true);
      expect(linked.use('bootstrapped').identityStrategy).toBe('profile_link');
    } finally {
      await linked.close();
    }
  });
});

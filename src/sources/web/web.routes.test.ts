import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceId } from '../../kernel/ids.ts';
import type { Response as LightMyRequestResponse } from 'light-my-request';
import type { Quanta } from '../../main.ts';
import { API_KEY, bearerAuth, quantaApp } from '../../../test/helpers/quanta-app.ts';
import { PLAN } from '../../../test/fixtures/data-plan.ts';

const ws = workspaceId(1);
let q: Quanta;
const ORIGIN = 'http://127.0.0.1:41399';
const recorded = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/real-clients/${file}`, import.meta.url), 'utf8')) as {
    method: string;
    path: string;
    headers: Record<string, string>;
    body: unknown;
  }[];

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0', QUANTA_ALLOWED_ORIGINS: `${ORIGIN},https://shop.example.com` });
});
afterAll(async () => {
  await q.close();
});

/** Replays a recorded request with our key in place of the recording's. */
function replay(r: { method: string; path: string; headers: Record<string, string>; body: unknown }) {
  const headers: Record<string, string> = { origin: ORIGIN };
  if (r.headers['content-type']) headers['content-type'] = r.headers['content-type'];
  if (r.headers['x-mp-key']) headers['x-mp-key'] = API_KEY;
  if (r.method === 'OPTIONS') {
    headers['access-control-request-method'] = 'POST';
    headers['access-control-request-headers'] = 'content-type,x-mp-key';
  }
  const body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body).replaceAll('capture-key', API_KEY);
  return q.app.inject({
    method: r.method as 'GET' | 'POST' | 'OPTIONS',
    url: r.path.replace('capture-key', API_KEY),
    headers,
    ...(r.method === 'POST' ? { payload: body } : {}),
  });
}

describe('Web SDK routes', () => {
  it('serve every request the real Web SDK sent, with CORS headers browsers need', async () => {
    for (const file of ['websdk.json', 'websdk-beacon.json']) {
      // The recorded alias names MPIDs of the recording's server (the alias tests use real ones).
      for (const r of recorded(file).filter((x) => !(x.method === 'POST' && x.path.endsWith('/Alias')))) {
        const res = await replay(r);
        const expected = r.method === 'OPTIONS' ? 204 : r.path.startsWith('/webevents/v3') ? 202 : 200;
        expect(`${r.method} ${r.path} ${res.statusCode} ${res.statusCode >= 400 ? res.body : ''}`).toBe(`${r.method} ${r.path} ${expected} `);
        expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
        if (r.method === 'OPTIONS') expect(String(res.headers['access-control-allow-headers'])).toMatch(/x-mp-key/);
      }
    }
    await q.processor.caughtUp();
    const names = (await q.use('events').list({ workspaceId: ws }, 1000)).map((e) => e.eventName);
    expect(names).toEqual(expect.arrayContaining(['Landing', 'Web Button Clicked', 'purchase']));
  });

  it('gives the SDK a config without any URL it would follow away from Quanta', async () => {
    const res = await q.app.inject({ method: 'GET', url: `/tags/JS/v2/${API_KEY}/config?env=0`, headers: { origin: ORIGIN } });
    expect(res.statusCode).toBe(200);
    const config = res.json() as Record<string, unknown>;
    expect(Object.keys(config).filter((k) => /url$|^domain$|^requestConfig$/i.test(k))).toEqual([]);
    expect(config).toMatchObject({ kitConfigs: [], flags: { eventBatchingIntervalMillis: '0' } });
  });

  it("answers a config that names a data plan with the plan and its blocking, as the SDK's kit blocker reads it", async () => {
    const doc = { ...PLAN, settings: { validation_actions: { event: 'drop_event', event_attribute: 'allow', user_attribute: 'drop_attribute' } } };
    const created = await q.app.inject({
      method: 'POST',
      url: '/platform/v2/workspaces/1/plans',
      headers: { authorization: await bearerAuth(q), 'content-type': 'application/json' },
      payload: JSON.stringify({
        data_plan_id: 'kits',
        data_plan_name: 'Kits',
        data_plan_versions: [
          { version: 1, activated_environment: 'production', version_document: doc },
          { version: 2, activated_environment: 'development', version_document: doc },
        ],
      }),
    });
    expect(created.statusCode, created.body).toBe(200);
    const config = async (query: string) => (await q.app.inject({ method: 'GET', url: `/tags/JS/v2/${API_KEY}/config?${query}` })).json().dataPlanResult;
    const pinned = await config('env=0&plan_id=kits&plan_version=1');
    expect(pinned.dtpn.blok).toEqual({ ev: true, ea: false, ua: true, id: false });
    expect(pinned.dtpn.vers).toMatchObject({ data_plan_id: 'kits', version: 1, version_document: { data_points: doc.data_points } });
    expect((await config('env=1&plan_id=kits')).dtpn.vers.version).toBe(2);
    expect((await config('env=0&plan_id=kits')).dtpn.vers.version).toBe(1);
    expect((await config('env=0&plan_id=kits&plan_version=7')).error_message).toMatch(/version 7 does not exist/);
    expect((await config('env=0&plan_id=nope')).error_message).toMatch(/"nope" has no version active in production/);
    expect((await config('env=0')) ?? null).toBeNull();
  });

  it('takes beacons sent as text/plain;charset=utf-8 and kit forwarding statistics', async () => {
    const beacon = await q.app.inject({
      method: 'POST',
      url: `/webevents/v3/JS/${API_KEY}/events`,
      headers: { 'content-type': 'text/plain;charset=utf-8' },
      payload: JSON.stringify({ mpid: '123', events: [{ event_type: 'custom_event', data: { event_name: 'Beacon' } }] }),
    });
    expect(beacon.statusCode).toBe(202);
    const stats = await q.app.inject({ method: 'POST', url: `/webevents/v2/JS/${API_KEY}/Forwarding`, headers: { 'content-type': 'text/plain' }, payload: JSON.stringify({ uuid: 'u', data: [{ mid: 1 }, { mid: 2 }] }) });
    expect(stats.statusCode).toBe(202);
    expect((await q.app.inject('/metrics')).body).toMatch(/quanta_web_forwarding_reports_total 2/);
    // Web batches count as accepted like every other route's (one place counts them: ingest).
    expect((await q.app.inject('/metrics')).body).toMatch(/quanta_events_accepted_total\{input="1"\} [1-9]/);
  });

  const bad: [string, () => Promise<LightMyRequestResponse>, number, RegExp][] = [
    ['a wrong key in the path', () => q.app.inject({ method: 'POST', url: '/webevents/v3/JS/nope/events', headers: { 'content-type': 'text/plain' }, payload: '{}' }), 401, /key in the path/],
    ['a disallowed origin', () => q.app.inject({ method: 'POST', url: `/webevents/v3/JS/${API_KEY}/events`, headers: { origin: 'https://evil.example', 'content-type': 'text/plain' }, payload: '{"events":[]}' }), 403, /not allowed/],
    ['a disallowed origin\'s preflight', () => q.app.inject({ method: 'OPTIONS', url: '/identity/v1/identify', headers: { origin: 'https://evil.example' } }), 403, /not allowed/],
    ['a malformed beacon', () => q.app.inject({ method: 'POST', url: `/webevents/v3/JS/${API_KEY}/events`, headers: { 'content-type': 'text/plain;charset=utf-8' }, payload: '{"events":[' }), 400, /not valid JSON/],
    ['an invalid batch', () => q.app.inject({ method: 'POST', url: `/webevents/v3/JS/${API_KEY}/events`, headers: { 'content-type': 'text/plain' }, payload: '{"events":[{"event_type":"warp"}]}' }), 400, /not an event type/],
    ['an oversized batch', () => q.app.inject({ method: 'POST', url: `/webevents/v3/JS/${API_KEY}/events`, headers: { 'content-type': 'text/plain' }, payload: JSON.stringify({ user_attributes: { x: 'y'.repeat(300 * 1024) } }) }), 413, /256 KB/],
  ];

  it.each(bad)('answer %s with a clear error and store nothing', async (_name, send, status, message) => {
    await q.processor.caughtUp();
    const before = await q.use('events').count({ workspaceId: ws });
    const res = await send();
    expect(res.statusCode).toBe(status);
    expect(res.json().errors.map((e: { message: string }) => e.message).join(' | ')).toMatch(message);
    await q.processor.caughtUp();
    expect(await q.use('events').count({ workspaceId: ws })).toBe(before);
  });
});

describe('legacy V2 uploads', () => {
  it('store a custom event, a page view and a purchase sent in the SDK\'s V2 message format', async () => {
    const base = { sdk: '2.10.0', sid: 'v2-session', das: 'v2-das', dbg: false, ct: 1_700_000_000_000, ui: [{ Identity: 'v2-cust', Type: 1 }], ua: { plan: 'v2' } };
    const messages = [
      { ...base, dt: 4, et: 1, n: 'V2 Clicked', attrs: { a: '1' } },
      { ...base, dt: 3, n: 'V2 Home' },
      { ...base, dt: 16, cu: 'USD', pd: { an: 7, ti: 'v2-tx', tr: 10, pl: [{ id: 'sku', nm: 'Thing', pr: 10, qt: 1 }] } },
    ];
    const res = await q.app.inject({ method: 'POST', url: `/webevents/v2/JS/${API_KEY}/Events`, headers: { 'content-type': 'text/plain' }, payload: JSON.stringify(messages) });
    expect(res.statusCode).toBe(202);
    await q.processor.caughtUp();
    const mine = (await q.use('events').list({ workspaceId: ws }, 1000)).filter((e) => e.sessionUuid === 'v2-session');
    expect(mine.map((e) => [e.eventType, e.eventName, e.customEventType])).toEqual([
      ['custom_event', 'V2 Clicked', 'navigation'],
      ['screen_view', 'V2 Home', null],
      ['commerce_event', 'purchase', null],
    ]);
    expect(mine[0]!.userIdentities).toEqual({ customer_id: 'v2-cust' });
    expect(mine[2]!.data.product_action).toMatchObject({ transaction_id: 'v2-tx', products: [{ id: 'sku', name: 'Thing', price: 10 }] });
  });

  it('refuse an unknown message type, storing nothing', async () => {
    const res = await q.app.inject({ method: 'POST', url: `/webevents/v2/JS/${API_KEY}/Events`, headers: { 'content-type': 'text/plain' }, payload: JSON.stringify({ dt: 99, n: 'x' }) });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].message).toMatch(/dt=99/);
  });
});

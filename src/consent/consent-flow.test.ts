import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, basicAuth, bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { type Receiver, startReceiver, until } from '../../test/helpers/receiver.ts';
import type { Quanta } from '../main.ts';

// Consent from ingest to outputs, through the real app: the profile keeps it (the workspace's
// purposes), the delivery stream carries the person's state and the changes, GPC adds it at the edge.

type Json = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'PATCH';
const base = '/platform/v2/workspaces/1';

let q: Quanta;
let bearer: string;
let receiver: Receiver;
const call = (method: Method, url: string, payload?: unknown) =>
  q.app.inject({ method, url, headers: { authorization: bearer, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}) });
const send = (batch: Json, headers: Record<string, string> = {}) =>
  q.app.inject({ method: 'POST', url: '/v2/events', headers: { authorization: basicAuth(), 'content-type': 'application/json', ...headers }, payload: JSON.stringify({ environment: 'production', ...batch }) });
async function created(url: string, body: Json): Promise<Json & { id: number }> {
  const res = await call('POST', url, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Json & { id: number };
}
const consent = (consented: boolean, ts: number, extra: Json = {}) => ({ consented, timestamp_unixtime_ms: ts, document: 'doc-v1', location: 'example.com/signup', hardware_id: 'IDFA:a5d9', ...extra });
const event = (name: string) => ({ event_type: 'custom_event', data: { event_name: name, custom_event_type: 'other' } });

async function consentOf(customerId: string): Promise<Json> {
  await q.processor.caughtUp();
  const found = await q.app.inject({ method: 'POST', url: '/identity/v1/search', headers: { authorization: basicAuth() }, payload: { environment: 'production', known_identities: { customerid: customerId } } });
  expect(found.statusCode, found.body).toBe(200);
  const { mpid } = found.json() as { mpid: string };
  const res = await q.app.inject({ method: 'GET', url: `/userprofile/v1/1/1/1/${mpid}?fields=consent_state`, headers: { authorization: bearer } });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { consent_state: Json }).consent_state;
}

/** The batches a receiver path got, parsed. */
const got = (path: string) => receiver.received.filter((r) => r.path === path).map((r) => JSON.parse(r.body) as Json & { events: { data: { event_name: string } }[] });
const decided = (connectionId: number, n: number) =>
  until(`${n} batches decided`, async () => {
    const s = (await call('GET', `${base}/connections/${connectionId}/status`)).json() as Json;
    return (s.sent as number) + (s.filtered as number) >= n;
  });

beforeAll(async () => {
  receiver = await startReceiver();
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0', QUANTA_DELIVERY_RETRY_BASE_MS: '20' });
  bearer = await bearerAuth(q);
  expect((await call('POST', `${base}/privacy/purposes`, { purpose: 'marketing' })).statusCode).toBe(201);
  expect((await call('PATCH', `${base}/privacy`, { regulations: { gdpr: { enabled: true }, ccpa: { enabled: true } } })).statusCode).toBe(200);
});
afterAll(async () => {
  await q.close();
  await receiver.close();
});

describe('consent on the profile', () => {
  it('keeps every field of each defined purpose, refuses undefined GDPR purposes, and never lets an older consent overwrite a newer one', async () => {
    await send({
      user_identities: { customer_id: 'consent-1' },
      consent_state: { gdpr: { Marketing: consent(true, 2000), parental: consent(true, 2000) }, ccpa: { data_sale_opt_out: { consented: true, timestamp_unixtime_ms: 2000 } } },
      events: [],
    });
    expect(await consentOf('consent-1')).toEqual({
      gdpr: { Marketing: consent(true, 2000) },
      ccpa: { data_sale_opt_out: { consented: true, timestamp_unixtime_ms: 2000, document: null, location: null, hardware_id: null } },
    });
    await send({ user_identities: { customer_id: 'consent-1' }, consent_state: { gdpr: { Marketing: consent(false, 1000) } }, events: [] });
    expect(((await consentOf('consent-1')).gdpr as Json).Marketing).toEqual(consent(true, 2000));
    await send({ user_identities: { customer_id: 'consent-1' }, consent_state: { gdpr: { Marketing: consent(false, 3000, { document: 'doc-v2' }) } }, events: [] });
    expect(((await consentOf('consent-1')).gdpr as Json).Marketing).toEqual(consent(false, 3000, { document: 'doc-v2' }));
    expect((await q.app.inject('/metrics')).body).toMatch(/quanta_consent_refused_total\{regulation="gdpr"\} [1-9]/);
  });

  it('applies a purpose added later to the batches processed after it', async () => {
    await send({ user_identities: { customer_id: 'consent-2' }, consent_state: { gdpr: { analytics: consent(true, 10) } }, events: [] });
    expect(await consentOf('consent-2')).toEqual({ gdpr: {}, ccpa: {} });
    expect((await call('POST', `${base}/privacy/purposes`, { purpose: 'analytics' })).statusCode).toBe(201);
    await send({ user_identities: { customer_id: 'consent-2' }, consent_state: { gdpr: { analytics: consent(true, 10) } }, events: [] });
    expect(await consentOf('consent-2')).toEqual({ gdpr: { analytics: consent(true, 10) }, ccpa: {} });
  });

  it("decides a consent audience on the person's consent, whatever the batch says", async () => {
    const audience = await created(`${base}/audiences`, { name: 'Opted out of sale', definition: { consent: { regulation: 'ccpa', consented: true } } });
    expect((await call('POST', `${base}/audiences/${audience.id}/activation`)).statusCode).toBe(200);
    await send({ user_identities: { customer_id: 'consent-aud' }, consent_state: { ccpa: { data_sale_opt_out: consent(true, 5) } }, events: [event('One')] });
    await send({ user_identities: { customer_id: 'consent-aud' }, events: [event('Two')] });
    await q.processor.caughtUp();
    const { mpid } = (await q.app.inject({ method: 'POST', url: '/identity/v1/search', headers: { authorization: basicAuth() }, payload: { environment: 'production', known_identities: { customerid: 'consent-aud' } } })).json() as { mpid: string };
    const memberships = async () =>
      ((await q.app.inject({ method: 'GET', url: `/userprofile/v1/1/1/1/${mpid}?fields=audience_memberships`, headers: { authorization: bearer } })).json() as { audience_memberships: { audience_id: number }[] }).audience_memberships;
    await until('the opted-out member', async () => (await memberships()).some((m) => m.audience_id === audience.id));
  });
});

describe('consent to outputs', () => {
  it('sends the changes as system_notifications with the batch that made them, and the person\'s consent state on every batch; a setting turns notifications off', async () => {
    const loud = await created(`${base}/connections`, { output_id: (await created(`${base}/outputs`, { name: 'Loud', kind: 'webhook', settings: { url: `${receiver.url}/notify` } })).id });
    const quiet = await created(`${base}/connections`, {
      output_id: (await created(`${base}/outputs`, { name: 'Quiet', kind: 'webhook', settings: { url: `${receiver.url}/quiet`, send_system_notifications: false } })).id,
    });
    await send({ user_identities: { customer_id: 'consent-3' }, consent_state: { gdpr: { marketing: consent(true, 100) } }, events: [event('First')] });
    await send({ user_identities: { customer_id: 'consent-3' }, consent_state: { gdpr: { marketing: consent(false, 200) } }, events: [event('Second')] });
    await send({ user_identities: { customer_id: 'consent-3' }, consent_state: { gdpr: { marketing: consent(false, 200) } }, events: [event('Third')] });
    await decided(loud.id, 3);
    await decided(quiet.id, 3);
    const batches = got('/notify');
    expect(batches.map((b) => b.events[0]!.data.event_name)).toEqual(['First', 'Second', 'Third']);
    expect(batches[0]!.system_notifications).toEqual([{ type: 'gdpr_change', data: { purpose: 'marketing', current: { regulation: 'GDPR', ...consent(true, 100) } } }]);
    expect(batches[1]!.system_notifications).toEqual([
      { type: 'gdpr_change', data: { purpose: 'marketing', current: { regulation: 'GDPR', ...consent(false, 200) }, old: { regulation: 'GDPR', ...consent(true, 100) } } },
    ]);
    // The same consent again is no change.
    expect(batches[2]!.system_notifications).toBeUndefined();
    expect(batches[2]!.consent_state).toEqual({ gdpr: { marketing: consent(false, 200) }, ccpa: {} });
    expect(got('/quiet').map((b) => b.system_notifications)).toEqual([undefined, undefined, undefined]);
    expect(got('/quiet')[1]!.consent_state).toEqual({ gdpr: { marketing: consent(false, 200) }, ccpa: {} });
    for (const c of [loud, quiet]) await call('PATCH', `${base}/connections/${c.id}`, { active: false });
  });

  it("lets forwarding rules decide on the person's consent: a later batch without consent_state follows the profile", async () => {
    const output = await created(`${base}/outputs`, { name: 'Marketing only', kind: 'webhook', settings: { url: `${receiver.url}/marketing` } });
    const connection = await created(`${base}/connections`, { output_id: output.id, forwarding_rules: [{ type: 'consent', regulation: 'gdpr', purpose: 'marketing', action: 'only_forward' }] });
    await send({ user_identities: { customer_id: 'consent-4' }, consent_state: { gdpr: { marketing: consent(true, 100) } }, events: [event('Consented')] });
    await send({ user_identities: { customer_id: 'consent-4' }, events: [event('Later')] });
    await send({ user_identities: { customer_id: 'consent-5' }, events: [event('Never asked')] });
    await send({ user_identities: { customer_id: 'consent-4' }, consent_state: { gdpr: { marketing: consent(false, 200) } }, events: [event('Withdrawn')] });
    await send({ user_identities: { customer_id: 'consent-4' }, events: [event('After')] });
    await decided(connection.id, 5);
    expect(got('/marketing').map((b) => b.events[0]!.data.event_name)).toEqual(['Consented', 'Later']);
    await call('PATCH', `${base}/connections/${connection.id}`, { active: false });
  });

  it('sends Amplitude the changes as "Consent Given" / "Consent Rejected" custom events', async () => {
    const output = await created(`${base}/outputs`, { name: 'Amp', kind: 'amplitude', settings: { api_key: 'amp-key-123', endpoint: `${receiver.url}/2/httpapi` } });
    const connection = await created(`${base}/connections`, { output_id: output.id });
    await send({ user_identities: { customer_id: 'consent-amp' }, consent_state: { ccpa: { data_sale_opt_out: consent(true, 100) } }, events: [] });
    await send({ user_identities: { customer_id: 'consent-amp' }, consent_state: { gdpr: { marketing: consent(false, 200) } }, events: [event('Browse')] });
    await decided(connection.id, 2);
    const events = receiver.received.filter((r) => r.path === '/2/httpapi').flatMap((r) => (JSON.parse(r.body) as { events: Json[] }).events);
    expect(events.map((e) => e.event_type)).toEqual(['Consent Given', 'Browse', 'Consent Rejected']);
    expect(events[0]).toMatchObject({
      user_id: 'consent-amp',
      time: 100,
      event_properties: { consented: 'true', purpose: 'data_sale_opt_out', regulation: 'CCPA', timestamp_unixtime_ms: 100, document: 'doc-v1', location: 'example.com/signup', hardware_id: 'IDFA:a5d9' },
    });
    expect(events[2]).toMatchObject({ event_properties: { consented: 'false', purpose: 'marketing', regulation: 'GDPR' } });
    await call('PATCH', `${base}/connections/${connection.id}`, { active: false });
  });
});

describe('GPC signals', () => {
  const gpcConsent = (location: string | null, hardware: string | null = null) => ({
    consented: true,
    timestamp_unixtime_ms: expect.any(Number),
    document: 'browser_gpc_signal',
    location,
    hardware_id: hardware,
  });

  it("record CCPA's data sale opt-out on Events API and Web SDK batches that carry none, and leave an explicit consent alone", async () => {
    await send({ user_identities: { customer_id: 'gpc-1' }, events: [] }, { 'sec-gpc': '1' });
    expect((await consentOf('gpc-1')).ccpa).toEqual({ data_sale_opt_out: gpcConsent(null) });
    await send({ user_identities: { customer_id: 'gpc-2' }, consent_state: { ccpa: { data_sale_opt_out: consent(false, 50) } }, events: [] }, { 'sec-gpc': '1' });
    expect((await consentOf('gpc-2')).ccpa).toEqual({ data_sale_opt_out: consent(false, 50) });
    await send({ user_identities: { customer_id: 'gpc-3' }, events: [] }, { 'sec-gpc': '0' });
    expect((await consentOf('gpc-3')).ccpa).toEqual({});

    const web = await q.app.inject({
      method: 'POST',
      url: `/webevents/v3/JS/${API_KEY}/events`,
      headers: { 'content-type': 'text/plain;charset=UTF-8', 'sec-gpc': '1', origin: 'https://shop.example.com' },
      payload: JSON.stringify({ mp_deviceid: 'das-web-1', user_identities: { customer_id: 'gpc-web' }, consent_state: null, events: [event('Landing')] }),
    });
    expect(web.statusCode, web.body).toBe(202);
    expect((await consentOf('gpc-web')).ccpa).toEqual({ data_sale_opt_out: gpcConsent('https://shop.example.com', 'das-web-1') });
  });

  it('reject the mapped GDPR purpose when the workspace maps GPC to one, and do nothing when the mapping is off', async () => {
    expect((await call('PATCH', `${base}/privacy`, { gpc: { regulation: 'gdpr', purpose: 'marketing' } })).statusCode).toBe(200);
    await send({ user_identities: { customer_id: 'gpc-4' }, events: [] }, { 'sec-gpc': '1' });
    expect(await consentOf('gpc-4')).toEqual({ gdpr: { marketing: { ...gpcConsent(null), consented: false } }, ccpa: {} });
    expect((await call('PATCH', `${base}/privacy`, { gpc: { enabled: false } })).statusCode).toBe(200);
    await send({ user_identities: { customer_id: 'gpc-5' }, events: [] }, { 'sec-gpc': '1' });
    expect(await consentOf('gpc-5')).toEqual({ gdpr: {}, ccpa: {} });
    expect((await call('PATCH', `${base}/privacy`, { gpc: { enabled: true, regulation: 'ccpa' } })).statusCode).toBe(200);
  });

  it("read the legacy Web SDK message's short consent keys", async () => {
    const res = await q.app.inject({
      method: 'POST',
      url: `/webevents/v2/JS/${API_KEY}/Events`,
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify({ dt: 4, n: 'Legacy', et: 8, ct: 1000, ui: [{ Type: 1, Identity: 'legacy-1' }], con: { gdpr: { marketing: { c: true, ts: 900, d: 'doc-v1', l: 'example.com/signup', h: 'IDFA:a5d9' } } } }),
    });
    expect(res.statusCode, res.body).toBe(202);
    expect((await consentOf('legacy-1')).gdpr).toEqual({ marketing: consent(true, 900) });
  });
});

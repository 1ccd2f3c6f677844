import { randomUUID } from 'node:crypto';
import { strFromU8, unzipSync } from 'fflate';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERASURE_REQUEST_TYPE } from '../connections/kinds/webhook-erasure.ts';
import { type Mpid, workspaceId } from '../kernel/ids.ts';
import { parseJsonLossless } from '../kernel/lossless-json.ts';
import { createQuanta, type Quanta } from '../main.ts';
import { signedBy } from '../../test/helpers/dsr-app.ts';
import { basicAuth, bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { type Receiver, startReceiver, until } from '../../test/helpers/receiver.ts';
import { duckHolding, holding } from '../../test/helpers/store-scan.ts';

/**
 * The DSR API end to end on the real Quanta: every capability, the real erasure engine, access
 * export and erasure forwarding, real SQLite and DuckDB files, the scheduler's own poll, and local
 * receivers for a webhook output and for status callbacks.
 */

type Json = Record<string, unknown>;
const DAY = 86_400_000;
const PUBLIC_URL = 'https://quanta.test';
const OTHER = basicAuth('other-key', 'other-secret');

/** The user erased: none of these may be left in any store but the DSR request itself. */
const A = { email: 'dsr-a@example.com', mobile_number: '+15550100001', idfv: 'dsr-a-idfv', nickname: 'ada-dsr-nick', city: 'ada-dsr-city', note: 'ada-dsr-note' };
/** The user kept, then asked about (access). */
const B = { email: 'dsr-b@example.com', mobile_number: '+15550100002', idfv: 'dsr-b-idfv', nickname: 'bob-dsr-nick', city: 'bob-dsr-city', note: 'bob-dsr-note' };

/**
 * Two batches of a user: identities, a device, attributes, consent and events. The users hold no
 * login id (customer id): a DSR naming only an email does not reach a profile protected by a login
 * id (mParticle resolves DSRs as IDSync does), and these requests name users by email.
 */
function batchesOf(u: typeof A) {
  return [
    {
      environment: 'production',
      user_identities: { email: u.email, mobile_number: u.mobile_number },
      device_info: { platform: 'iOS', ios_idfv: u.idfv },
      user_attributes: { nickname: u.nickname, tier: 'gold' },
      consent_state: { gdpr: { marketing: { consented: true, document: 'privacy-v1', timestamp_unixtime_ms: 1_700_000_000_000 } } },
      events: [{ event_type: 'custom_event', data: { event_name: 'Purchase', custom_event_type: 'transaction', custom_attributes: { amount: 30, note: u.note } } }],
    },
    {
      environment: 'production',
      user_identities: { email: u.email },
      user_attributes: { city: u.city },
      events: [{ event_type: 'screen_view', data: { screen_name: 'Checkout', custom_attributes: { note: u.note } } }],
    },
  ];
}

let q: Quanta;
let bearer: string;
let hook: Receiver;
let callbacks: Receiver;
let certificate: string;
let mpidA: Mpid;
let mpidB: Mpid;

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const inject = (method: Method, url: string, authorization: string | null, payload?: unknown) =>
  q.app.inject({
    method,
    url,
    headers: { ...(authorization ? { authorization } : {}), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
  });
const platform = (method: Method, url: string, payload?: unknown) => inject(method, `/platform/v2/workspaces/1${url}`, bearer, payload);
const dsr = (method: Method, url: string, payload?: unknown, auth: string | null = basicAuth()) => inject(method, url, auth, payload);
const status = async (id: string, version = 'v3') => {
  const res = await dsr('GET', `/opendsr/${version}/requests/${id}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { request_status: string; results_url: string | null; expected_completion_time: string | null; extensions: unknown };
};
/** The DSR API's error body of a response, with its registered code. */
const dsrError = (res: Awaited<ReturnType<typeof inject>>) => ({ status: res.statusCode, code: res.headers['x-quanta-error-code'], body: res.json() as Json });
const v3 = (type: string, identities: Record<string, string>, extra: Json = {}) => ({
  regulation: 'gdpr',
  subject_request_id: randomUUID(),
  subject_request_type: type,
  submitted_time: '2026-12-01T15:00:00Z',
  subject_identities: Object.fromEntries(Object.entries(identities).map(([t, value]) => [t, { value, encoding: 'raw' }])),
  ...extra,
});
const submitted = async (body: Json, version = 'v3') => {
  const res = await dsr('POST', `/opendsr/${version}/requests`, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { subject_request_id: string; expected_completion_time: string; received_time: string };
};
const search = async (known: Record<string, string>) => {
  const res = await inject('POST', '/identity/v1/search', basicAuth(), { environment: 'production', known_identities: known });
  return res.statusCode === 200 ? (res.json() as { mpid: Mpid }).mpid : undefined;
};
const profile = (mpid: Mpid) => inject('GET', `/userprofile/v1/1/1/1/${mpid}?fields=user_identities,device_identities,user_attributes,consent_state`, bearer);
const erasureNotices = () => hook.received.filter((r) => (JSON.parse(r.body) as { type?: string }).type === ERASURE_REQUEST_TYPE);

beforeAll(async () => {
  // The first try of each erasure notice is refused (503): the forwarding's backoff holds the request in progress a while.
  const tries = new Map<string, number>();
  hook = await startReceiver((r) => {
    const body = JSON.parse(r.body) as { type?: string; subject_request_id?: string };
    if (body.type !== ERASURE_REQUEST_TYPE) return { status: 200 };
    const n = (tries.get(body.subject_request_id!) ?? 0) + 1;
    tries.set(body.subject_request_id!, n);
    return n === 1 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 202 };
  });
  callbacks = await startReceiver();
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0', QUANTA_PUBLIC_URL: PUBLIC_URL, QUANTA_DSR_POLL_MS: '50', QUANTA_DSR_RETRY_BASE_MS: '100' });
  bearer = await bearerAuth(q);
  q.stores.platform.saveTenant({ orgId: 50, accountId: 50, workspaceId: workspaceId(50) });
  q.stores.platform.saveInput({ workspaceId: workspaceId(50), name: 'Other', apiKey: 'other-key', apiSecret: 'other-secret', rateLimitPerSecond: 0, allowKeyOnly: false });
  q.use('inputs').reload();

  const output = await platform('POST', '/outputs', { name: 'Partner hook', kind: 'webhook', settings: { url: `${hook.url}/hook` } });
  expect(output.statusCode, output.body).toBe(201);
  expect((await platform('POST', '/connections', { output_id: (output.json() as { id: number }).id })).statusCode).toBe(201);
  for (const u of [A, B]) {
    for (const batch of batchesOf(u)) {
      const res = await inject('POST', '/v2/events', basicAuth(), batch);
      expect(res.statusCode, res.body).toBe(202);
    }
  }
  await q.processor.caughtUp();
  mpidA = (await search({ email: A.email }))!;
  mpidB = (await search({ email: B.email }))!;
  await until("both users' batches delivered to the webhook", () => {
    const text = hook.received.map((r) => r.body).join('\n');
    return text.includes(A.note) && text.includes(B.note);
  });
  const discovery = await dsr('GET', '/opendsr/v3/discovery', undefined, null);
  const certificateUrl = new URL((discovery.json() as { processor_certificate: string }).processor_certificate);
  expect(certificateUrl.origin).toBe(PUBLIC_URL);
  certificate = (await dsr('GET', certificateUrl.pathname, undefined, null)).body;
}, 60_000);

afterAll(async () => {
  await q?.close().catch(() => undefined);
  await hook?.close();
  await callbacks?.close();
});

describe('a v3 erasure through the real erasure engine', () => {
  let id: string;

  it('holds user A everywhere before the erasure (so the scan below would find them)', () => {
    expect(mpidA).toBeDefined();
    expect(mpidB).toBeDefined();
    expect(mpidA).not.toBe(mpidB);
    const dir = q.config.dataDir;
    expect(holding(dir, A.email)).toEqual(expect.arrayContaining(['state.sqlite:identity_records', 'log.sqlite:log']));
    expect(holding(dir, A.nickname)).toEqual(expect.arrayContaining(['state.sqlite:profiles', 'log.sqlite:log']));
    expect(holding(dir, A.note).length).toBeGreaterThan(0);
  });

  it('goes pending → in_progress → completed, forwarding the erasure to the webhook first', async () => {
    const body = v3('erasure', { email: A.email }, { skip_waiting_period: true, status_callback_urls: [`${callbacks.url}/a`] });
    id = (await submitted(body)).subject_request_id;
    // The poll may already have taken it; it is pending until then, and it cannot complete before its notice is acknowledged.
    expect(['pending', 'in_progress']).toContain((await status(id)).request_status);
    await until('the erasure notice tried once', () => erasureNotices().length >= 1);
    expect((await status(id)).request_status).toBe('in_progress');
    expect(await search({ email: A.email })).toBe(mpidA);
    await until('the request completed', async () => (await status(id)).request_status === 'completed');
    expect(await status(id)).toMatchObject({ request_status: 'completed', results_url: null, extensions: [{ domain: '127.0.0.1', name: 'Partner hook', status: 'sent' }] });
  });

  it("sent the webhook the erasure notice with every identity of A's, and its MPID", () => {
    const notices = erasureNotices().map((r) => JSON.parse(r.body) as Json);
    expect(notices).toHaveLength(2);
    expect(notices[1]).toMatchObject({
      type: ERASURE_REQUEST_TYPE,
      subject_request_id: id,
      subject_request_type: 'erasure',
      regulation: 'gdpr',
      mpids: [String(mpidA)],
      subject_identities: {
        email: { value: A.email, encoding: 'raw' },
        mobile_number: { value: A.mobile_number, encoding: 'raw' },
        ios_vendor_id: { value: A.idfv, encoding: 'raw' },
      },
    });
    expect(JSON.stringify(notices)).not.toContain(B.email);
  });

  it('called the status callback URL with each status, signed with the certificate the discovery names', async () => {
    await until('three callbacks', () => callbacks.received.filter((r) => r.path === '/a').length >= 3);
    const got = callbacks.received.filter((r) => r.path === '/a');
    expect(got.map((r) => (JSON.parse(r.body) as { request_status: string }).request_status)).toEqual(['pending', 'in_progress', 'completed']);
    for (const r of got) {
      expect(r.headers['x-opendsr-processor-domain']).toBe('quanta.test');
      expect(signedBy(certificate, r.body, r.headers['x-opendsr-signature'])).toBe(true);
      expect(signedBy(certificate, `${r.body} `, r.headers['x-opendsr-signature'])).toBe(false);
      expect(JSON.parse(r.body)).toMatchObject({ subject_request_id: id, controller_id: '1', api_version: '3.0' });
    }
  });

  it("leaves no identity or attribute value of A's in state, delivery, log (by SQL) — only the DSR request keeps them, by design", () => {
    const dir = q.config.dataDir;
    // The DSR store keeps the request as received and whom it resolved to (its identities) for a
    // year, as mParticle keeps DSR records: that table alone may hold them.
    for (const needle of [A.email, A.mobile_number, A.idfv]) expect(holding(dir, needle), needle).toEqual(['state.sqlite:dsr_requests']);
    for (const needle of [A.nickname, A.city, A.note]) expect(holding(dir, needle), needle).toEqual([]);
    // The MPID alone is kept where it marks the erasure itself: IDSync's erased MPIDs (never given
    // again), the log's tombstones, and the DSR request's resolution.
    expect(holding(dir, String(mpidA)).sort()).toEqual(['log.sqlite:tombstones', 'state.sqlite:dsr_requests', 'state.sqlite:erased_users']);
    for (const needle of [B.email, B.nickname, B.note]) expect(holding(dir, needle), needle).toEqual(expect.arrayContaining(['log.sqlite:log']));
    expect(holding(dir, B.nickname)).toContain('state.sqlite:profiles');
    expect(holding(dir, B.email)).toContain('state.sqlite:identity_records');
  });

  it("leaves nothing of A's in the event store (DuckDB, read with Quanta stopped) and keeps B's", async () => {
    const config = q.config;
    await q.close();
    try {
      expect(await duckHolding(config.dataDir, [String(mpidA), A.email, A.mobile_number, A.idfv, A.nickname, A.city, A.note])).toEqual([]);
      expect(await duckHolding(config.dataDir, [String(mpidB), B.note])).toEqual(expect.arrayContaining([`events.duckdb:events:${String(mpidB)}`, `events.duckdb:events:${B.note}`]));
    } finally {
      q = await createQuanta(config, pino({ level: 'silent' }));
      bearer = await bearerAuth(q);
    }
  }, 30_000);

  it("answers no public API with A's data (after a restart): Profile API 404, IDSync finds no A; B intact", async () => {
    expect((await profile(mpidA)).statusCode).toBe(404);
    expect(await search({ email: A.email })).toBeUndefined();
    expect(await search({ mobile_number: A.mobile_number })).toBeUndefined();
    const identified = await inject('POST', '/identity/v1/identify?read_only=true', basicAuth(), { environment: 'production', known_identities: { email: A.email } });
    expect(identified.statusCode, identified.body).toBe(200);
    expect((identified.json() as { mpid: string }).mpid).not.toBe(String(mpidA));
    const kept = await profile(mpidB);
    expect(kept.statusCode).toBe(200);
    expect(kept.json()).toMatchObject({ user_attributes: { nickname: B.nickname, city: B.city } });
    expect(await search({ email: B.email })).toBe(mpidB);
    expect((await status(id)).request_status).toBe('completed');
  });
});

describe('the erasure waiting period', () => {
  it('keeps an erasure without skip pending, not run, until cancelled; B untouched', async () => {
    const settings = await platform('PATCH', '/privacy', { erasure_waiting_period_days: 3 });
    expect(settings.statusCode, settings.body).toBe(200);
    expect(settings.json()).toMatchObject({ erasure_waiting_period_days: 3 });
    const answer = await submitted(v3('erasure', { email: B.email }, { status_callback_urls: [`${callbacks.url}/b`] }));
    // Due after the 3 days, expected 48 h after that.
    expect(Date.parse(answer.expected_completion_time) - Date.parse(answer.received_time)).toBe(3 * DAY + 2 * DAY);
    const id = answer.subject_request_id;
    await q.use('dsrScheduler').runDue();
    await q.use('dsrScheduler').runDue();
    expect((await status(id)).request_status).toBe('pending');
    expect(await search({ email: B.email })).toBe(mpidB);

    const cancelled = await dsr('DELETE', `/opendsr/v3/requests/${id}`);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json()).toMatchObject({ subject_request_id: id, expected_completion_time: null });
    expect(await status(id)).toMatchObject({ request_status: 'cancelled', expected_completion_time: null });
    expect(dsrError(await dsr('DELETE', `/opendsr/v3/requests/${id}`))).toMatchObject({ status: 400, code: 'QUANTA_DSR_NOT_CANCELLABLE', body: { code: 400, errors: [{ message: 'Only a pending request can be cancelled; this one is cancelled.' }] } });
    await until('the cancellation called back', () => callbacks.received.filter((r) => r.path === '/b').length >= 2);
    expect(callbacks.received.filter((r) => r.path === '/b').map((r) => (JSON.parse(r.body) as { request_status: string }).request_status)).toEqual(['pending', 'cancelled']);

    await q.use('dsrScheduler').runDue();
    expect((await status(id)).request_status).toBe('cancelled');
    expect(erasureNotices().map((r) => (JSON.parse(r.body) as Json).subject_request_id)).not.toContain(id);
    expect(await search({ email: B.email })).toBe(mpidB);
    expect((await profile(mpidB)).json()).toMatchObject({ user_attributes: { nickname: B.nickname, city: B.city } });
    expect(await q.use('events').count({ workspaceId: workspaceId(1), mpid: mpidB })).toBeGreaterThan(0);
  });
});

describe('a v3 access request', () => {
  const unzip = (bytes: Buffer) => Object.fromEntries(Object.entries(unzipSync(bytes)).map(([name, data]) => [name, strFromU8(data)]));

  it("serves B's profile and batches as a zip at results_url, to the workspace's credentials only", async () => {
    const id = (await submitted(v3('access', { email: B.email }))).subject_request_id;
    await until('the access request completed', async () => (await status(id)).request_status === 'completed');
    const done = await status(id);
    expect(done.results_url).toBe(`${PUBLIC_URL}/opendsr/v3/requests/${id}/results`);
    const path = new URL(done.results_url!).pathname;

    const res = await dsr('GET', path);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    const files = unzip(res.rawPayload);
    expect(Object.keys(files).sort()).toEqual(['batches-00001.jsonl', 'profile.jsonl']);
    const profiles = files['profile.jsonl']!.trimEnd().split('\n');
    expect(profiles).toHaveLength(1);
    expect(profiles[0]).toContain(`"mpid":${String(mpidB)}`);
    const p = parseJsonLossless(profiles[0]!) as Json;
    expect(p.user_identities).toEqual(expect.arrayContaining([{ type: 'mobile_number', encoding: 'none', value: B.mobile_number }, { type: 'email', encoding: 'none', value: B.email }]));
    expect(p.device_identities).toEqual([{ type: 'ios_idfv', encoding: 'none', value: B.idfv }]);
    expect(p.user_attributes).toMatchObject({ nickname: B.nickname, city: B.city, tier: 'gold' });
    expect(p.consent_state).toMatchObject({ gdpr: { marketing: expect.objectContaining({ consented: true, document: 'privacy-v1' }) } });
    const batches = files['batches-00001.jsonl']!.trimEnd().split('\n').map((l) => parseJsonLossless(l) as Json);
    expect(batches).toHaveLength(2);
    const [first, second] = batchesOf(B);
    expect(batches[0]).toMatchObject({ ...first, mpid: mpidB });
    expect(batches[1]).toMatchObject({ ...second, mpid: mpidB });
    const text = Object.values(files).join('\n');
    for (const needle of [A.email, A.nickname, A.note, String(mpidA)]) expect(text).not.toContain(needle);

    expect(dsrError(await dsr('GET', path, undefined, OTHER))).toMatchObject({ status: 404, code: 'QUANTA_DSR_REQUEST_NOT_FOUND' });
    expect(dsrError(await dsr('GET', path, undefined, null))).toMatchObject({ status: 401, code: 'QUANTA_DSR_CREDENTIALS_INVALID', body: { code: 401, errors: [{ domain: 'Authentication' }] } });
    expect(dsrError(await dsr('GET', path, undefined, basicAuth('test-key', 'wrong')))).toMatchObject({ status: 401 });
  });

  it('completes with nothing found for an unknown email: its results URL answers 404', async () => {
    const id = (await submitted(v3('access', { email: 'nobody-dsr@example.com' }))).subject_request_id;
    await until('the access request completed', async () => (await status(id)).request_status === 'completed');
    const done = await status(id);
    const none = await dsr('GET', new URL(done.results_url!).pathname);
    expect(dsrError(none)).toMatchObject({ status: 404, code: 'QUANTA_DSR_RESULTS_NOT_FOUND', body: { code: 404, errors: [{ message: 'No records could be found matching the identities in the request.' }] } });
    expect(await search({ email: 'nobody-dsr@example.com' })).toBeUndefined();
  });
});

describe('refused requests', () => {
  it("takes a v2 erasure by the extension's mpids (pending its waiting period) and refuses its id again with 400", async () => {
    const id = randomUUID();
    // v2's MPIDs are JSON numbers of up to 19 digits: sent as digits, not rounded.
    const raw = (type: string) =>
      `{"regulation":"ccpa","subject_request_id":"${id}","subject_request_type":"${type}","submitted_time":"2026-12-01T15:00:00Z","extensions":{"opendsr.mparticle.com":{"mpids":[${String(mpidB)}]}}}`;
    const first = await dsr('POST', '/opendsr/v2/requests', raw('erasure'));
    expect(first.statusCode, first.body).toBe(201);
    const again = dsrError(await dsr('POST', '/opendsr/v2/requests', raw('access')));
    expect(again).toMatchObject({
      status: 400,
      code: 'QUANTA_DSR_REQUEST_EXISTS',
      body: { code: 400, message: 'Subject request already exists.', errors: [{ domain: 'Validation', reason: 'InvalidOperationException', message: 'Subject request already exists.' }] },
    });
    expect((await q.stores.dsr.request(workspaceId(1), id))!.mpids).toEqual([mpidB]);
    await q.use('dsrScheduler').runDue();
    expect((await status(id, 'v2')).request_status).toBe('pending');
    expect((await dsr('DELETE', `/opendsr/v2/requests/${id}`)).statusCode).toBe(200);
    expect(await search({ email: B.email })).toBe(mpidB);
  });

  it('refuses a v3 request naming an mpid beside an email, with 400', async () => {
    const body = v3('erasure', { email: B.email }, { extensions: { 'opendsr.mparticle.com': { subject_identities: { mpid: { value: String(mpidB), encoding: 'raw' } } } } });
    const refused = dsrError(await dsr('POST', '/opendsr/v3/requests', body));
    expect(refused).toMatchObject({
      status: 400,
      code: 'QUANTA_DSR_MPID_NOT_ALONE',
      body: { code: 400, errors: [{ domain: 'Validation', reason: 'ValidationException', message: 'If an mpid is provided, it must be the only identity in the request.' }] },
    });
    expect(dsrError(await dsr('GET', `/opendsr/v3/requests/${body.subject_request_id}`))).toMatchObject({ status: 404 });
  });
});

describe('a known user (with a login id)', () => {
  it('is not reached by an email alone, as IDSync protects it; the login id reaches it', async () => {
    const C = { customer_id: 'dsr-c-cust', email: 'dsr-c@example.com' };
    const sent = await inject('POST', '/v2/events', basicAuth(), { environment: 'production', user_identities: C, user_attributes: { nickname: 'cy-dsr-nick' }, events: [] });
    expect(sent.statusCode, sent.body).toBe(202);
    await q.processor.caughtUp();
    const mpidC = (await search({ customerid: C.customer_id }))!;
    expect(mpidC).toBeDefined();

    const byEmail = (await submitted(v3('erasure', { email: C.email }, { skip_waiting_period: true }))).subject_request_id;
    await until('the email-only erasure completed', async () => (await status(byEmail)).request_status === 'completed');
    expect(await q.stores.dsr.request(workspaceId(1), byEmail)).toMatchObject({ resolution: { mpids: [], identities: { email: C.email } }, erasure: { users: 0, rows: 0 } });
    expect(await search({ customerid: C.customer_id })).toBe(mpidC);
    expect((await profile(mpidC)).statusCode).toBe(200);

    const byLogin = (await submitted(v3('erasure', { email: C.email, controller_customer_id: C.customer_id }, { skip_waiting_period: true }))).subject_request_id;
    await until('the erasure with the login id completed', async () => (await status(byLogin)).request_status === 'completed');
    expect(await q.stores.dsr.request(workspaceId(1), byLogin)).toMatchObject({ resolution: { mpids: [mpidC] }, erasure: { users: 1 } });
    expect(await search({ customerid: C.customer_id })).toBeUndefined();
    expect((await profile(mpidC)).statusCode).toBe(404);
    expect(holding(q.config.dataDir, 'cy-dsr-nick')).toEqual([]);
  });
});

import { randomUUID } from 'node:crypto';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dsrApp, signedBy, testClock, testPorts } from '../../test/helpers/dsr-app.ts';
import { basicAuth, bearerAuth } from '../../test/helpers/quanta-app.ts';
import { workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';

let q: Quanta;
let bearer: string;
let certificate: string;
const clock = testClock();
const OTHER = basicAuth('other-key', 'other-secret');

const v3 = (extra: Record<string, unknown> = {}) => ({
  regulation: 'gdpr',
  subject_request_id: randomUUID(),
  subject_request_type: 'access',
  submitted_time: '2026-03-01T15:00:00Z',
  subject_identities: { email: { value: `${randomUUID()}@example.com`, encoding: 'raw' } },
  api_version: '3.0',
  ...extra,
});
const send = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, auth: string | null = basicAuth()) =>
  q.app.inject({
    method,
    url,
    headers: { ...(auth ? { authorization: auth } : {}), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
  });
const submit = (body: unknown, path = '/opendsr/v3/requests', auth?: string) => send('POST', path, body, auth);
/** The DSR API's error body of a response, with its registered code. */
const dsrError = (res: Awaited<ReturnType<typeof send>>) => ({ status: res.statusCode, code: res.headers['x-quanta-error-code'], body: res.json() as { code: number; message: string; errors: { domain: string; reason: string; message: string }[] } });

beforeAll(async () => {
  q = await dsrApp({ ports: testPorts().ports, now: clock.now, waitingPeriodMs: () => 7 * 24 * 3_600_000 }, { QUANTA_DSR_PROCESSOR_DOMAIN: 'dsr.quanta.test' });
  q.stores.platform.saveTenant({ orgId: 50, accountId: 50, workspaceId: workspaceId(50) });
  q.stores.platform.saveInput({ workspaceId: workspaceId(50), name: 'Other', apiKey: 'other-key', apiSecret: 'other-secret', rateLimitPerSecond: 0, allowKeyOnly: false });
  q.use('inputs').reload();
  bearer = await bearerAuth(q);
  certificate = (await send('GET', '/opendsr/certificate.pem', undefined, null)).body;
});
afterAll(async () => {
  await q.close();
});

describe('discovery and the certificate', () => {
  it('lists identity and request types and where the certificate is, signed', async () => {
    for (const version of ['v1', 'v2', 'v3']) {
      const res = await send('GET', `/opendsr/${version}/discovery`, undefined, null);
      expect(res.statusCode).toBe(200);
      const body = res.json() as Record<string, unknown>;
      expect(body).toMatchObject({ supported_subject_request_types: ['access', 'erasure', 'portability'], processor_certificate: 'https://quanta.test/opendsr/certificate.pem' });
      expect(body.supported_identities).toContainEqual({ identity_type: 'controller_customer_id', identity_format: 'raw' });
      const names = version === 'v1' ? ['x-opengdpr-processor-domain', 'x-opengdpr-signature'] : ['x-opendsr-processor-domain', 'x-opendsr-signature'];
      expect(res.headers[names[0]!]).toBe('dsr.quanta.test');
      expect(signedBy(certificate, res.body, res.headers[names[1]!])).toBe(true);
    }
    expect((await send('GET', '/opendsr/v3/discovery/', undefined, null)).statusCode).toBe(200);
  });

  it('serves a certificate issued to the processor domain', () => {
    expect(new X509Certificate(certificate).subject).toBe('CN=dsr.quanta.test');
  });
});

describe('POST /opendsr/v3/requests', () => {
  it('answers 201 with the request encoded, the workspace as controller, signed', async () => {
    const body = v3({ subject_request_type: 'erasure' });
    const raw = JSON.stringify(body);
    const res = await submit(raw, '/opendsr/v3/requests/');
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({
      expected_completion_time: new Date(clock.now() + 9 * 24 * 3_600_000).toISOString(),
      received_time: new Date(clock.now()).toISOString(),
      encoded_request: Buffer.from(raw).toString('base64'),
      subject_request_id: body.subject_request_id,
      controller_id: '1',
    });
    expect(res.headers['x-opendsr-processor-domain']).toBe('dsr.quanta.test');
    expect(signedBy(certificate, res.body, res.headers['x-opendsr-signature'])).toBe(true);
    expect(signedBy(certificate, `${res.body} `, res.headers['x-opendsr-signature'])).toBe(false);
  });

  it('refuses an id the workspace has, with the documented body', async () => {
    const body = v3();
    expect((await submit(body)).statusCode).toBe(201);
    const again = dsrError(await submit({ ...body, subject_identities: { email: { value: 'other@example.com', encoding: 'raw' } } }));
    expect(again).toEqual({
      status: 400,
      code: 'QUANTA_DSR_REQUEST_EXISTS',
      body: { code: 400, message: 'Subject request already exists.', errors: [{ domain: 'Validation', reason: 'InvalidOperationException', message: 'Subject request already exists.' }] },
    });
  });

  it('refuses an open request with the same identities and type (409), not one of another type', async () => {
    const first = v3({ subject_request_type: 'erasure' });
    expect((await submit(first)).statusCode).toBe(201);
    const same = dsrError(await submit({ ...first, subject_request_id: randomUUID() }));
    expect(same.status).toBe(409);
    expect(same.code).toBe('QUANTA_DSR_REQUEST_OPEN');
    expect(same.body.message).toContain(first.subject_request_id);
    expect((await submit({ ...first, subject_request_id: randomUUID(), subject_request_type: 'access' })).statusCode).toBe(201);
  });

  it('refuses an mpid beside other identities', async () => {
    const res = dsrError(await submit(v3({ extensions: { 'opendsr.mparticle.com': { subject_identities: { mpid: { value: '42', encoding: 'raw' } } } } })));
    expect(res).toMatchObject({ status: 400, code: 'QUANTA_DSR_MPID_NOT_ALONE', body: { message: 'If an mpid is provided, it must be the only identity in the request.' } });
  });

  it('refuses malformed JSON, an empty body, and wrong types, naming each problem', async () => {
    const malformed = dsrError(await submit('{"regulation": "gdpr",'));
    expect(malformed).toMatchObject({ status: 400, code: 'QUANTA_HTTP_JSON_MALFORMED', body: { code: 400, errors: [{ domain: 'Validation', reason: 'ValidationException' }] } });
    expect(dsrError(await submit(''))).toMatchObject({
      status: 400,
      code: 'QUANTA_DSR_REQUEST_INVALID',
      body: { errors: [{ message: 'The request body is empty; send an OpenDSR request as application/json.' }] },
    });
    const wrong = dsrError(await submit(v3({ subject_request_type: 'delete', submitted_time: 42, subject_identities: { email: { value: 7, encoding: 'raw' } } })));
    expect(wrong).toMatchObject({ status: 400, code: 'QUANTA_DSR_REQUEST_INVALID', body: { code: 400, message: 'Invalid data was detected.' } });
    expect(wrong.body.errors.map((e) => e.message)).toEqual([
      'subject_request_type is required: one of access, portability, erasure.',
      'submitted_time is required: an ISO 8601 date-time, e.g. 2021-11-01T15:00:00Z.',
      "subject_identities.email's value must be a non-empty string of at most 1024 characters.",
    ]);
  });

  it('refuses missing or wrong credentials with 401, and takes a Bearer token with the dsr API', async () => {
    expect(dsrError(await submit(v3(), undefined, basicAuth('test-key', 'wrong')))).toMatchObject({ status: 401, code: 'QUANTA_DSR_CREDENTIALS_INVALID', body: { code: 401, errors: [{ domain: 'Authentication' }] } });
    expect(dsrError(await send('POST', '/opendsr/v3/requests', v3(), null))).toMatchObject({ status: 401, code: 'QUANTA_DSR_CREDENTIALS_INVALID' });
    expect(dsrError(await submit(v3(), undefined, 'Bearer nope'))).toMatchObject({ status: 401, code: 'QUANTA_AUTH_TOKEN_INVALID' });
    const byToken = await submit(v3(), undefined, bearer);
    expect(byToken.statusCode).toBe(201);
    expect(byToken.json()).toMatchObject({ controller_id: '1' });
    expect((await submit(v3(), '/opendsr/v3/requests?workspace_id=1', bearer)).statusCode).toBe(201);
  });

  it('refuses with 403 a Bearer token of an API client not granted the dsr API, or granted it read only for a submit (reading it may)', async () => {
    const clientOf = async (permissions: { api: string; permission: string }[]) => {
      const made = await q.app.inject({ method: 'POST', url: '/platform/v2/organizations/1/accounts/1/credentials', headers: { authorization: bearer }, payload: { name: `dsr-${permissions.length}-${permissions[0]?.permission}`, permissions } });
      expect(made.statusCode, made.body).toBe(201);
      const { client_id, client_secret } = made.json() as { client_id: string; client_secret: string };
      const token = await q.app.inject({ method: 'POST', url: '/oauth/token', payload: { client_id, client_secret, grant_type: 'client_credentials' } });
      return `Bearer ${(token.json() as { access_token: string }).access_token}`;
    };
    const profileOnly = await clientOf([{ api: 'profile', permission: 'admin' }]);
    expect(dsrError(await submit(v3(), undefined, profileOnly))).toMatchObject({ status: 403, body: { code: 403 } });
    const readOnly = await clientOf([{ api: 'dsr', permission: 'read_only' }]);
    expect(dsrError(await submit(v3(), undefined, readOnly))).toMatchObject({ status: 403 });
    // Reading takes read only: an unknown request is a 404, not a 403.
    expect(dsrError(await send('GET', '/opendsr/v3/requests/00000000-0000-4000-8000-000000000000', undefined, readOnly)).status).toBe(404);
  });
});

describe('v1 and v2', () => {
  it('v1 takes OpenGDPR requests at /opengdpr_requests, signed with X-OpenGDPR headers', async () => {
    const id = randomUUID();
    const res = await submit(
      { subject_request_id: id, subject_request_type: 'access', submitted_time: '2026-03-01T15:00:00Z', subject_identities: [{ identity_type: 'email', identity_value: 'v1@example.com', identity_format: 'raw' }] },
      '/opendsr/v1/opengdpr_requests/',
    );
    expect(res.statusCode).toBe(201);
    expect(signedBy(certificate, res.body, res.headers['x-opengdpr-signature'])).toBe(true);
    const status = await send('GET', `/opendsr/v1/opengdpr_requests/${id}`);
    expect(status.json()).toMatchObject({ subject_request_id: id, api_version: '1.0', request_status: 'pending' });
  });

  it('v2 requires regulation', async () => {
    const res = dsrError(await submit({ subject_request_id: randomUUID(), subject_request_type: 'access', submitted_time: '2026-03-01T15:00:00Z', subject_identities: [] }, '/opendsr/v2/requests'));
    expect(res.body.errors.map((e) => e.message)).toContain('regulation is required: gdpr or ccpa.');
  });
});

describe('status, group, cancel', () => {
  it('answers the status of a request, and lists its group', async () => {
    const a = v3({ group_id: 'g-1' });
    const b = v3({ group_id: 'g-1', subject_request_type: 'portability' });
    await submit(a);
    clock.advance(1000);
    await submit(b);
    const status = await send('GET', `/opendsr/v3/requests/${a.subject_request_id}`);
    expect(status.statusCode).toBe(200);
    expect(status.json()).toEqual({
      controller_id: '1',
      expected_completion_time: expect.any(String),
      subject_request_id: a.subject_request_id,
      group_id: 'g-1',
      request_status: 'pending',
      api_version: '3.0',
      results_url: null,
      extensions: null,
    });
    expect(signedBy(certificate, status.body, status.headers['x-opendsr-signature'])).toBe(true);
    const group = await send('GET', '/opendsr/v3/requests?group_id=g-1');
    expect((group.json() as { subject_request_id: string }[]).map((r) => r.subject_request_id)).toEqual([a.subject_request_id, b.subject_request_id]);
    expect((await send('GET', '/opendsr/v3/requests?group_id=none')).json()).toEqual([]);
    expect(dsrError(await send('GET', '/opendsr/v3/requests'))).toMatchObject({ status: 400, code: 'QUANTA_DSR_REQUEST_INVALID' });
  });

  it('answers 404 for an unknown id and for another workspace’s, 400 for an id that is no UUID', async () => {
    expect(dsrError(await send('GET', `/opendsr/v3/requests/${randomUUID()}`))).toMatchObject({
      status: 404,
      code: 'QUANTA_DSR_REQUEST_NOT_FOUND',
      body: { code: 404, message: 'The specified subject request id could not be found.' },
    });
    const mine = v3();
    await submit(mine);
    expect(dsrError(await send('GET', `/opendsr/v3/requests/${mine.subject_request_id}`, undefined, OTHER))).toMatchObject({ status: 404, code: 'QUANTA_DSR_REQUEST_NOT_FOUND' });
    expect(dsrError(await send('DELETE', `/opendsr/v3/requests/${mine.subject_request_id}`, undefined, OTHER))).toMatchObject({ status: 404 });
    expect(dsrError(await send('GET', '/opendsr/v3/requests/123'))).toMatchObject({ status: 400, code: 'QUANTA_DSR_REQUEST_ID_INVALID' });
    // The same id is another request in another workspace.
    expect((await submit(mine, undefined, OTHER)).json()).toMatchObject({ controller_id: '50' });
  });

  it('cancels a pending request, and refuses to cancel a completed one', async () => {
    const pending = v3({ subject_request_type: 'erasure' });
    await submit(pending);
    const cancelled = await send('DELETE', `/opendsr/v3/requests/${pending.subject_request_id}`);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toEqual({ expected_completion_time: null, received_time: new Date(clock.now()).toISOString(), subject_request_id: pending.subject_request_id, controller_id: '1' });
    expect((await send('GET', `/opendsr/v3/requests/${pending.subject_request_id}`)).json()).toMatchObject({ request_status: 'cancelled', expected_completion_time: null });

    const access = v3();
    await submit(access);
    await q.use('dsrScheduler').runDue();
    expect((await send('GET', `/opendsr/v3/requests/${access.subject_request_id}`)).json()).toMatchObject({ request_status: 'completed' });
    expect(dsrError(await send('DELETE', `/opendsr/v3/requests/${access.subject_request_id}/`))).toEqual({
      status: 400,
      code: 'QUANTA_DSR_NOT_CANCELLABLE',
      body: { code: 400, message: 'Only a pending request can be cancelled; this one is completed.', errors: [{ domain: 'Validation', reason: 'InvalidOperationException', message: 'Only a pending request can be cancelled; this one is completed.' }] },
    });
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After past the requests per minute of a workspace', async () => {
    const limited = await dsrApp({ ports: testPorts().ports }, { QUANTA_DSR_REQUESTS_PER_MINUTE: '2' });
    try {
      const get = () => limited.app.inject({ method: 'GET', url: `/opendsr/v3/requests/${randomUUID()}`, headers: { authorization: basicAuth() } });
      expect((await get()).statusCode).toBe(404);
      expect((await get()).statusCode).toBe(404);
      const res = await get();
      expect(res.statusCode).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(res.json()).toMatchObject({ code: 429, errors: [{ domain: 'Throttling', reason: 'TooManyRequestsException' }] });
      expect(res.headers['x-quanta-error-code']).toBe('QUANTA_DSR_RATE_LIMITED');
    } finally {
      await limited.close();
    }
  });
});

import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dsrApp, testClock, testPorts } from '../../test/helpers/dsr-app.ts';
import { basicAuth } from '../../test/helpers/quanta-app.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { type Mpid, workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';

const ws = workspaceId(1);
const DAY = 24 * 3_600_000;
let q: Quanta;
const clock = testClock();
const recorded = testPorts();

const submit = async (body: Record<string, unknown>, version: 'v2' | 'v3' = 'v3') => {
  const res = await q.app.inject({ method: 'POST', url: `/opendsr/${version}/requests`, headers: { authorization: basicAuth(), 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  expect(res.statusCode).toBe(201);
  return body.subject_request_id as string;
};
const v3 = (type: string, identities: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  regulation: 'gdpr',
  subject_request_id: randomUUID(),
  subject_request_type: type,
  submitted_time: '2026-03-01T15:00:00Z',
  subject_identities: Object.fromEntries(Object.entries(identities).map(([t, value]) => [t, { value, encoding: 'raw' }])),
  ...extra,
});
const status = async (id: string, version = 'v3') =>
  (await q.app.inject({ method: 'GET', url: `/opendsr/${version}/requests/${id}`, headers: { authorization: basicAuth() } })).json() as {
    request_status: string;
    results_url: string | null;
    extensions: unknown;
    expected_completion_time: string | null;
  };
const download = (id: string) => q.app.inject({ method: 'GET', url: `/opendsr/v3/requests/${id}/results`, headers: { authorization: basicAuth() } });
const runDue = () => q.use('dsrScheduler').runDue();
/** A user IDSync knows, with these identities. */
const user = async (known: Record<string, string>): Promise<Mpid> => (await q.use('graph').resolve(ws, { operation: 'identify', source: 'identity_api', known })).mpid;

beforeAll(async () => {
  q = await dsrApp({ ports: recorded.ports, now: clock.now, waitingPeriodMs: () => 7 * DAY });
});
afterAll(async () => {
  await q.close();
});

describe('erasure', () => {
  it('waits the workspace’s waiting period, then resolves, forwards and erases', async () => {
    const mpid = await user({ email: 'wait@example.com', customer_id: 'c-wait', ios_idfv: 'idfv-wait' });
    // Profile conversion: the login id (customer id) finds the known profile.
    const id = await submit(v3('erasure', { controller_customer_id: 'c-wait' }));
    await runDue();
    expect((await status(id)).request_status).toBe('pending');
    clock.advance(7 * DAY - 1);
    await runDue();
    expect((await status(id)).request_status).toBe('pending');
    clock.advance(1);
    await runDue();
    const done = await status(id);
    expect(done).toMatchObject({ request_status: 'completed', results_url: null, extensions: [{ domain: 'partner.example.com', name: 'Partner webhook', status: 'sent' }] });
    expect(recorded.erased).toContainEqual({ ws, mpids: [mpid] });
    const forwarded = recorded.forwarded.find((f) => f.notice.subjectRequestId === id)!;
    // Every identity of the profile, gathered before the erasure.
    expect(forwarded.notice).toMatchObject({ regulation: 'gdpr', mpids: [mpid], identities: { email: 'wait@example.com', controller_customer_id: 'c-wait', ios_vendor_id: 'idfv-wait' } });
    const record = await q.stores.dsr.request(ws, id);
    expect(record).toMatchObject({ erasure: { users: 1, rows: 3 }, resolution: { mpids: [mpid] } });
    expect(record!.history.map((h) => h.status)).toEqual(['pending', 'in_progress', 'completed']);
  });

  it('runs at once when skip_waiting_period is set, at the top level or in the extension', async () => {
    const top = await submit(v3('erasure', { email: 'skip-1@example.com' }, { skip_waiting_period: true }));
    const ext = await submit(v3('erasure', { email: 'skip-2@example.com' }, { extensions: { 'opendsr.mparticle.com': { skip_waiting_period: true } } }));
    await runDue();
    expect((await status(top)).request_status).toBe('completed');
    expect((await status(ext)).request_status).toBe('completed');
  });

  it('completes with nothing erased when no user matches, still forwarding the request’s identities', async () => {
    const before = recorded.erased.length;
    const id = await submit(v3('erasure', { email: 'nobody@example.com' }, { skip_waiting_period: true }));
    await runDue();
    expect((await status(id)).request_status).toBe('completed');
    expect(recorded.erased.length).toBe(before);
    expect(recorded.forwarded.find((f) => f.notice.subjectRequestId === id)!.notice).toMatchObject({ mpids: [], identities: { email: 'nobody@example.com' } });
  });

  it('takes an extension mpid as it is, and does not forward v2 erasures', async () => {
    const mpid = await user({ email: 'by-mpid@example.com' });
    const byMpid = await submit({ ...v3('erasure', {}, { skip_waiting_period: true }), subject_identities: undefined, extensions: { 'opendsr.mparticle.com': { subject_identities: { mpid: { value: mpid, encoding: 'raw' } } } } });
    const v2 = await submit(
      { regulation: 'ccpa', subject_request_id: randomUUID(), subject_request_type: 'erasure', submitted_time: '2026-03-01T15:00:00Z', subject_identities: [{ identity_type: 'email', identity_value: 'by-mpid@example.com', identity_format: 'raw' }] },
      'v2',
    );
    clock.advance(7 * DAY);
    await runDue();
    expect(recorded.erased).toContainEqual({ ws, mpids: [mpid] });
    expect(await status(v2, 'v2')).toMatchObject({ request_status: 'completed', extensions: null });
    expect(recorded.forwarded.map((f) => f.notice.subjectRequestId)).toContain(byMpid);
    expect(recorded.forwarded.map((f) => f.notice.subjectRequestId)).not.toContain(v2);
    expect((await q.stores.dsr.request(ws, v2))!.forwarding).toBe('not_sent');
  });
});

describe('access and portability', () => {
  it('runs at once and serves the results zip at results_url, then 410 after 7 days', async () => {
    const mpid = await user({ email: 'access@example.com' });
    const id = await submit(v3('access', { email: 'access@example.com' }));
    await runDue();
    const done = await status(id);
    expect(done).toMatchObject({ request_status: 'completed', results_url: `https://quanta.test/opendsr/v3/requests/${id}/results` });
    expect(recorded.collected).toContainEqual({ ws, mpids: [mpid], requestId: id });
    const res = await download(id);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    const file = (await q.stores.dsr.request(ws, id))!.results as { path: string };
    expect(res.rawPayload.equals(readFileSync(file.path))).toBe(true);
    expect((await q.app.inject({ method: 'GET', url: `/opendsr/v3/requests/${id}/results`, headers: { authorization: basicAuth('other', 'x') } })).statusCode).toBe(401);

    clock.advance(7 * DAY);
    const gone = await download(id);
    expect(gone.statusCode).toBe(410);
    expect(gone.json()).toMatchObject({ code: 410, errors: [{ reason: 'GoneException' }] });
    await runDue();
    expect(existsSync(file.path)).toBe(false);
    expect((await download(id)).statusCode).toBe(410);
  });

  it('completes with nothing found for unknown identities: the results URL answers 404', async () => {
    const id = await submit(v3('portability', { controller_customer_id: 'no-such-customer' }));
    const before = await download(id);
    expect(before.statusCode).toBe(404);
    expect(before.json()).toMatchObject({ errors: [{ message: 'The request is pending; its results can be downloaded once it is completed.' }] });
    await runDue();
    expect((await status(id)).request_status).toBe('completed');
    const none = await download(id);
    expect(none.statusCode).toBe(404);
    expect(none.headers['x-quanta-error-code']).toBe('QUANTA_DSR_RESULTS_NOT_FOUND');
    expect(none.json()).toMatchObject({ errors: [{ message: 'No records could be found matching the identities in the request.' }] });
  });
});

describe('failures and restarts', () => {
  const post = (a: Quanta, body: unknown) =>
    a.app.inject({ method: 'POST', url: '/opendsr/v3/requests', headers: { authorization: basicAuth(), 'content-type': 'application/json' }, payload: JSON.stringify(body) });

  it('runs a failed request again after a backoff, on the users it had resolved', async () => {
    const mpid = await user({ email: 'retry@example.com' });
    const id = await submit(v3('erasure', { email: 'retry@example.com' }, { skip_waiting_period: true }));
    recorded.failErasures(1);
    await runDue();
    expect(await q.stores.dsr.request(ws, id)).toMatchObject({ status: 'in_progress', attempts: 1, lastError: 'the erasure engine stopped', resolution: { mpids: [mpid] } });
    await runDue();
    expect((await status(id)).request_status).toBe('in_progress');
    clock.advance(1000);
    await runDue();
    expect(await q.stores.dsr.request(ws, id)).toMatchObject({ status: 'completed', lastError: null });
    expect(recorded.erased.filter((e) => e.mpids.includes(mpid))).toHaveLength(1);
  });

  it('runs at start a request that was in progress when Quanta was killed', async () => {
    const dir = tempDir('dsr-restart');
    const start = testClock();
    let a = await dsrApp({ ports: testPorts().ports, now: start.now }, { QUANTA_DATA_DIR: dir });
    const mpid = (await a.use('graph').resolve(ws, { operation: 'identify', source: 'identity_api', known: { email: 'restart@example.com' } })).mpid;
    const id = randomUUID();
    expect((await post(a, v3('access', { email: 'restart@example.com' }, { subject_request_id: id }))).statusCode).toBe(201);
    // What a run had written when the process died: in progress, its users fixed, nothing collected.
    await a.stores.dsr.transition(ws, id, ['pending'], { status: 'in_progress', atMs: start.now() }, { resolution: { mpids: [mpid], identities: { email: 'restart@example.com' } } }, []);
    await a.close();

    const second = testPorts();
    a = await dsrApp({ ports: second.ports, now: start.now }, { QUANTA_DATA_DIR: dir });
    try {
      // The job's first run, begun as Quanta started; this one waits for it.
      await a.use('dsrScheduler').runDue();
      expect(await a.stores.dsr.request(ws, id)).toMatchObject({ status: 'completed' });
      expect(second.collected).toEqual([{ ws, mpids: [mpid], requestId: id }]);
    } finally {
      await a.close();
    }
  });
});

describe('retention', () => {
  it('deletes requests a year after they were received, with their callbacks', async () => {
    const id = await submit(v3('access', { email: 'old@example.com' }, { status_callback_urls: ['http://127.0.0.1:9/cb'] }));
    await runDue();
    expect((await status(id)).request_status).toBe('completed');
    clock.advance(365 * DAY + 1);
    await runDue();
    expect(await q.stores.dsr.request(ws, id)).toBeUndefined();
    expect(await q.stores.dsr.callbacks(ws, id)).toEqual([]);
    expect((await q.app.inject({ method: 'GET', url: `/opendsr/v3/requests/${id}`, headers: { authorization: basicAuth() } })).statusCode).toBe(404);
  });
});

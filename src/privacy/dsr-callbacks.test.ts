import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dsrApp, signedBy, testClock, testPorts } from '../../test/helpers/dsr-app.ts';
import { basicAuth } from '../../test/helpers/quanta-app.ts';
import { type Receiver, startReceiver } from '../../test/helpers/receiver.ts';
import { workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';

const ws = workspaceId(1);
let q: Quanta;
let certificate: string;
let receiver: Receiver;
const clock = testClock();

const submit = async (urls: string[], extra: Record<string, unknown> = {}, path = '/opendsr/v3/requests') => {
  const id = randomUUID();
  const body = {
    regulation: 'gdpr',
    subject_request_id: id,
    subject_request_type: 'access',
    submitted_time: '2026-03-01T15:00:00Z',
    subject_identities: { email: { value: `${id}@example.com`, encoding: 'raw' } },
    status_callback_urls: urls,
    ...extra,
  };
  const res = await q.app.inject({ method: 'POST', url: path, headers: { authorization: basicAuth(), 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  expect(res.statusCode).toBe(201);
  return id;
};
const runDue = () => q.use('dsrScheduler').runDue();
const sentFor = (id: string, path: string) => receiver.received.filter((r) => r.path === path && (JSON.parse(r.body) as { subject_request_id: string }).subject_request_id === id);

beforeAll(async () => {
  q = await dsrApp({ ports: testPorts().ports, now: clock.now, waitingPeriodMs: () => 0 }, { QUANTA_DSR_PROCESSOR_DOMAIN: 'dsr.quanta.test' });
  const discovery = (await q.app.inject({ method: 'GET', url: '/opendsr/v3/discovery' })).json() as { processor_certificate: string };
  // The certificate the discovery names, fetched from this Quanta.
  certificate = (await q.app.inject({ method: 'GET', url: new URL(discovery.processor_certificate).pathname })).body;
  receiver = await startReceiver((r) => {
    if (r.path.startsWith('/flaky')) return { status: receiver.received.filter((x) => x.path === r.path).length <= 2 ? 503 : 202 };
    if (r.path.startsWith('/refuses')) return { status: 400 };
    return { status: 202 };
  });
});
afterAll(async () => {
  await q.close();
  await receiver.close();
});

describe('status callbacks', () => {
  it('posts every status change in order, signed with the certificate the discovery names', async () => {
    const id = await submit([`${receiver.url}/cb`]);
    await runDue();
    await runDue();
    await runDue();
    const sent = sentFor(id, '/cb');
    expect(sent.map((r) => (JSON.parse(r.body) as { request_status: string }).request_status)).toEqual(['pending', 'in_progress', 'completed']);
    for (const r of sent) {
      expect(r.headers['x-opendsr-processor-domain']).toBe('dsr.quanta.test');
      expect(r.headers['content-type']).toBe('application/json');
      expect(signedBy(certificate, r.body, r.headers['x-opendsr-signature'])).toBe(true);
    }
    expect(JSON.parse(sent[2]!.body)).toEqual({
      controller_id: '1',
      expected_completion_time: expect.any(String),
      subject_request_id: id,
      group_id: null,
      request_status: 'completed',
      api_version: '3.0',
      results_url: `https://quanta.test/opendsr/v3/requests/${id}/results`,
      extensions: null,
    });
    expect((await q.stores.dsr.callbacks(ws, id)).every((c) => c.deliveredAtMs !== null && c.attempts === 1)).toBe(true);
  });

  it('signs v1 callbacks with the OpenGDPR headers', async () => {
    const id = randomUUID();
    const body = { subject_request_id: id, subject_request_type: 'access', submitted_time: '2026-03-01T15:00:00Z', subject_identities: [{ identity_type: 'email', identity_value: 'v1@example.com', identity_format: 'raw' }], status_callback_urls: [`${receiver.url}/v1`] };
    await q.app.inject({ method: 'POST', url: '/opendsr/v1/opengdpr_requests', headers: { authorization: basicAuth(), 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    await runDue();
    const [first] = sentFor(id, '/v1');
    expect(first!.headers['x-opengdpr-processor-domain']).toBe('dsr.quanta.test');
    expect(signedBy(certificate, first!.body, first!.headers['x-opengdpr-signature'])).toBe(true);
  });

  it('tries a failing receiver again with backoff until it takes the callback, holding the later ones back', async () => {
    const id = await submit([`${receiver.url}/flaky`]);
    await runDue();
    expect(sentFor(id, '/flaky')).toHaveLength(1);
    await runDue();
    // Waiting out its backoff: not tried again, and the in-progress callback waits behind it.
    expect(sentFor(id, '/flaky')).toHaveLength(1);
    clock.advance(1000);
    await runDue();
    expect(sentFor(id, '/flaky')).toHaveLength(2);
    clock.advance(2000);
    await runDue();
    await runDue();
    const sent = sentFor(id, '/flaky').map((r) => (JSON.parse(r.body) as { request_status: string }).request_status);
    expect(sent.slice(0, 4)).toEqual(['pending', 'pending', 'pending', 'in_progress']);
    const [pending] = await q.stores.dsr.callbacks(ws, id);
    expect(pending).toMatchObject({ attempts: 3, lastError: 'HTTP 503', givenUp: false, deliveredAtMs: clock.now() });
  });

  it('gives up on an unreachable URL after its tries, and at once on a 4xx, and keeps both as given up', async () => {
    const gone = await startReceiver();
    await gone.close();
    const id = await submit([`${gone.url}/unreachable`, `${receiver.url}/refuses`, `${receiver.url}/cb`]);
    await runDue();
    clock.advance(1000);
    await runDue();
    clock.advance(2000);
    await runDue();
    await runDue();
    const callbacks = await q.stores.dsr.callbacks(ws, id);
    const of = (url: string) => callbacks.filter((c) => c.url.endsWith(url));
    expect(of('/unreachable')[0]).toMatchObject({ attempts: 3, givenUp: true, deliveredAtMs: null, lastError: 'ECONNREFUSED' });
    expect(of('/refuses')[0]).toMatchObject({ attempts: 1, givenUp: true, lastError: 'HTTP 400' });
    // The other URL heard every change; a given-up callback holds nothing back.
    expect(of('/cb').map((c) => c.deliveredAtMs !== null)).toEqual([true, true, true]);
    expect(of('/unreachable').map((c) => c.givenUp)).toEqual([true, false, false]);
    const metrics = await q.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/quanta_dsr_callbacks_total\{outcome="given_up"\} [1-9]/);
    expect(metrics.body).toMatch(/quanta_dsr_requests\{status="completed"\} [1-9]/);
  });
});

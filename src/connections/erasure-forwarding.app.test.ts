import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { type Receiver, startReceiver } from '../../test/helpers/receiver.ts';
import { type Mpid, workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';
import { ERASURE_REQUEST_TYPE } from './kinds/webhook-erasure.ts';

let q: Quanta;
let bearer: string;
let receiver: Receiver;

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0', QUANTA_DELIVERY_RETRY_BASE_MS: '20' });
  bearer = await bearerAuth(q);
  let flakyTries = 0;
  receiver = await startReceiver((request) => (request.path === '/flaky' && ++flakyTries <= 2 ? { status: 503 } : { status: 202 }));
});
afterAll(async () => {
  await q.close();
  await receiver.close();
});

async function created(url: string, body: unknown): Promise<{ id: number }> {
  const res = await q.app.inject({ method: 'POST', url, headers: { authorization: bearer, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: number };
}

describe('erasureForwarder (the connections capability\'s service)', () => {
  it('forwards to the workspace\'s webhook outputs configured through the Platform API, each acknowledged', async () => {
    const base = '/platform/v2/workspaces/1';
    const flaky = await created(`${base}/outputs`, { name: 'Flaky hook', kind: 'webhook', settings: { url: `${receiver.url}/flaky` } });
    const steady = await created(`${base}/outputs`, { name: 'Steady hook', kind: 'webhook', settings: { url: `${receiver.url}/steady` } });
    await created(`${base}/connections`, { output_id: flaky.id });
    await created(`${base}/connections`, { output_id: steady.id });
    const statuses = await q.use('erasureForwarder').forward(workspaceId(1), {
      subjectRequestId: 'b1f0c3a2-0c4e-4f57-9a52-1f1f0b7c9d10',
      regulation: 'ccpa',
      submittedTime: '2026-12-01T10:00:00Z',
      mpids: ['42' as Mpid],
      identities: { controller_customer_id: 'c-42' },
    });
    expect(statuses).toEqual([
      { domain: '127.0.0.1', name: 'Flaky hook', status: 'sent' },
      { domain: '127.0.0.1', name: 'Steady hook', status: 'sent' },
    ]);
    const erasures = receiver.received.filter((r) => (JSON.parse(r.body) as { type?: string }).type === ERASURE_REQUEST_TYPE);
    expect(erasures.map((r) => r.path).sort()).toEqual(['/flaky', '/flaky', '/flaky', '/steady']);
  });

  it('lists the switch among the webhook\'s settings (GET /v1/services/webhook)', async () => {
    const res = await q.app.inject({ method: 'GET', url: '/v1/services/webhook?accountId=1', headers: { authorization: bearer } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('forward_erasure_requests');
  });
});

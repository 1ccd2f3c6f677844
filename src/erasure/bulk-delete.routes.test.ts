import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mpid } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';
import { basicAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { until } from '../../test/helpers/receiver.ts';
import { MAX_BULK_DELETE_ITEMS } from './bulk-delete-request.ts';

let q: Quanta;
const URL = '/userprofile/experimental/bulkdelete';
type Job = { job_id: string; status: string; users_total: number; users_done: number; not_found: number; completed_at: string | null };

const post = (payload: unknown, authorization = basicAuth()) =>
  q.app.inject({ method: 'POST', url: URL, headers: { authorization, 'content-type': 'application/json' }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
const job = (id: string, authorization = basicAuth()) => q.app.inject({ method: 'GET', url: `${URL}/${id}`, headers: { authorization } });
const messages = (res: { json(): unknown }) => (res.json() as { errors: { message: string }[] }).errors.map((e) => e.message);
const search = async (customerId: string) => {
  const res = await q.app.inject({ method: 'POST', url: '/identity/v1/search', headers: { authorization: basicAuth() }, payload: { environment: 'production', known_identities: { customerid: customerId } } });
  return res.statusCode === 200 ? ((res.json() as { mpid: Mpid }).mpid as Mpid) : undefined;
};

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  for (const id of ['bulk-1', 'bulk-2', 'bulk-3']) {
    const res = await q.app.inject({
      method: 'POST',
      url: '/v2/events',
      headers: { authorization: basicAuth(), 'content-type': 'application/json' },
      payload: JSON.stringify({ environment: 'production', user_identities: { customer_id: id, email: `${id}@example.com` }, events: [{ event_type: 'custom_event', data: { event_name: 'Hi', custom_event_type: 'other' } }] }),
    });
    expect(res.statusCode).toBe(202);
  }
  await q.processor.caughtUp();
});
afterAll(async () => {
  await q.close();
});

describe('Bulk Profile Deletion API', () => {
  it('queues profiles by MPID and by identity, answers 202 with a job, and reports its progress until done', async () => {
    const [one, two] = [await search('bulk-1'), await search('bulk-2')];
    const res = await post([
      { mpid: one, action: 'delete' },
      { identity_type: 'customer_id', value: 'bulk-2', action: 'delete' },
      { identity_type: 'customer_id', value: 'nobody', action: 'delete' },
      { mpid: one, action: 'delete' },
    ]);
    expect(res.statusCode, res.body).toBe(202);
    const queued = res.json() as Job;
    expect(queued).toMatchObject({ status: 'queued', users_total: 2, users_done: 0, not_found: 1, completed_at: null });
    await until('the job done', async () => ((await job(queued.job_id)).json() as Job).status === 'done');
    expect((await job(queued.job_id)).json()).toMatchObject({ job_id: queued.job_id, status: 'done', users_total: 2, users_done: 2, not_found: 1, completed_at: expect.any(String) });
    expect(await search('bulk-1')).toBeUndefined();
    expect(await search('bulk-2')).toBeUndefined();
    expect(await search('bulk-3')).toBeDefined();
    expect(await q.use('events').count({ workspaceId: q.stores.platform.inputs()[0]!.workspaceId, mpid: two! })).toBe(0);
  });

  it('refuses a bare object, an empty array and too many items', async () => {
    const bare = await post({ mpid: '1', action: 'delete' });
    expect(bare.statusCode).toBe(400);
    expect(bare.headers['x-quanta-error-code']).toBe('QUANTA_ERASURE_BULK_NOT_ARRAY');
    expect(messages(bare)[0]).toMatch(/JSON array/);
    const empty = await post([]);
    expect(empty.statusCode).toBe(400);
    expect(empty.headers['x-quanta-error-code']).toBe('QUANTA_ERASURE_BULK_EMPTY');
    const many = await post(Array.from({ length: MAX_BULK_DELETE_ITEMS + 1 }, (_, i) => ({ mpid: String(i + 1), action: 'delete' })));
    expect(many.statusCode).toBe(400);
    expect(messages(many)).toEqual([`The request has ${MAX_BULK_DELETE_ITEMS + 1} items; send at most ${MAX_BULK_DELETE_ITEMS} per request.`]);
    const nothing = await q.app.inject({ method: 'POST', url: URL, headers: { authorization: basicAuth(), 'content-type': 'application/json' } });
    expect(nothing.statusCode).toBe(400);
    expect((await post('[{"mpid": ')).statusCode).toBe(400);
  });

  it('names every invalid item by its index, and queues nothing', async () => {
    const res = await post([
      { mpid: '5', action: 'delete' },
      { mpid: 'abc', action: 'delete' },
      { mpid: '7', action: 'remove' },
      'x',
      { action: 'delete' },
      { identity_type: 'shoe_size', value: '42', action: 'delete' },
      { identity_type: 'email', value: '', action: 'delete' },
      { mpid: '0', action: 'delete' },
      { mpid: '8', identity_type: 'email', value: 'a@b.c', action: 'delete' },
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.headers['x-quanta-error-code']).toBe('QUANTA_ERASURE_BULK_INVALID');
    expect(messages(res)).toEqual([
      '[1].mpid must be a signed 64-bit integer other than 0 (send it as a string).',
      '[2].action must be "delete".',
      '[3] must be an object with "mpid" (or "identity_type" and "value") and "action": "delete".',
      '[4] must name a profile: "mpid", or "identity_type" and "value".',
      '[5].identity_type "shoe_size" is not an identity type (email, customer_id, other_id_2, ios_idfa...).',
      "[6].value must be the identity's value, a non-empty string.",
      '[7].mpid must be a signed 64-bit integer other than 0 (send it as a string).',
      '[8] names both an mpid and an identity_type; send one.',
    ]);
  });

  it('authenticates with an input key and secret, and shows a job to its own workspace only', async () => {
    expect((await q.app.inject({ method: 'POST', url: URL, headers: { 'content-type': 'application/json' }, payload: '[]' })).statusCode).toBe(401);
    expect((await post([{ mpid: '5', action: 'delete' }], basicAuth('test-key', 'wrong'))).statusCode).toBe(403);
    expect((await job('nope', basicAuth('test-key', 'wrong'))).statusCode).toBe(403);
    const missing = await job('00000000-0000-0000-0000-000000000000');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['x-quanta-error-code']).toBe('QUANTA_ERASURE_JOB_NOT_FOUND');
    expect(messages(missing)).toEqual(['No bulk deletion job 00000000-0000-0000-0000-000000000000 in this workspace.']);
  });

  it('documents both routes, with examples, in /openapi.json', async () => {
    const spec = (await q.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>> };
    const postDoc = spec.paths[URL]!.post!;
    expect(JSON.stringify(postDoc.requestBody)).toContain('"action":"delete"');
    expect(Object.keys(postDoc.responses)).toEqual(expect.arrayContaining(['202', '400', '401', '403']));
    expect(spec.paths[`${URL}/{jobId}`]!.get!.responses['200']).toBeDefined();
  });
});

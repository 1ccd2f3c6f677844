import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceId } from '../../kernel/ids.ts';
import type { Quanta } from '../../main.ts';
import { basicAuth, quantaApp } from '../../../test/helpers/quanta-app.ts';

const ws = workspaceId(1);
const recorded = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/real-clients/websdk.json', import.meta.url), 'utf8'),
) as { path: string; body: Record<string, unknown> }[];
const webBatch = recorded.find((r) => r.path.includes('/events'))!.body;

let q: Quanta;
let seq = 0;

const batch = (over: Record<string, unknown> = {}) => ({
  environment: 'production',
  source_request_id: `req-${++seq}`,
  user_identities: { customerid: `c-${seq}` },
  events: [{ event_type: 'custom_event', data: { event_name: 'Clicked', custom_event_type: 'navigation' } }],
  ...over,
});

function post(url: string, payload: unknown, headers: Record<string, string> = {}) {
  return q.app.inject({
    method: 'POST',
    url,
    headers: { authorization: basicAuth(), 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

async function stored(): Promise<number> {
  await q.processor.caughtUp();
  return q.use('events').count({ workspaceId: ws });
}

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
});
afterAll(async () => {
  await q.close();
});

describe('POST /v2/events', () => {
  it('accepts a batch with 202 once it is durable, and processes it into the event store', async () => {
    const before = await stored();
    const res = await post('/v2/events', batch());
    expect(res.statusCode).toBe(202);
    expect(await stored()).toBe(before + 1);
  });

  it('keeps 64-bit mpids exact from the JSON number to the event store', async () => {
    const mpid = '-8203939215239999999';
    const res = await post('/v2/events', `{"mpid": ${mpid}, "events":[{"event_type":"screen_view","data":{"screen_name":"Big"}}]}`);
    expect(res.statusCode).toBe(202);
    await q.processor.caughtUp();
    const [e] = await q.use('events').list({ workspaceId: ws, mpid: mpid as never }, 5);
    expect(e?.mpid).toBe(mpid);
    expect(e?.eventName).toBe('Big');
  });

  it('processes a retried source_request_id once', async () => {
    const b = batch();
    const before = await stored();
    expect((await post('/v2/events', b)).statusCode).toBe(202);
    expect((await post('/v2/events', b)).statusCode).toBe(202);
    expect((await post('/v2/bulkevents', [b])).statusCode).toBe(202);
    expect(await stored()).toBe(before + 1);
  });

  it('accepts a batch the real Web SDK sent', async () => {
    expect((await post('/v2/events', { ...webBatch, source_request_id: `web-${++seq}` })).statusCode).toBe(202);
  });
});

describe('POST /v2/bulkevents', () => {
  it('accepts up to 100 batches in one durable step', async () => {
    const before = await stored();
    const res = await post('/v2/bulkevents', Array.from({ length: 100 }, () => batch()));
    expect(res.statusCode).toBe(202);
    expect(await stored()).toBe(before + 100);
  });

  it('stores each event with its type, name and identities', async () => {
    const b = batch({
      events: [
        { event_type: 'screen_view', data: { screen_name: 'Cart' } },
        { event_type: 'commerce_event', data: { product_action: { action: 'add_to_cart', products: [{ id: 'p' }] } } },
      ],
    });
    expect((await post('/v2/bulkevents', [b])).statusCode).toBe(202);
    await q.processor.caughtUp();
    const all = await q.use('events').list({ workspaceId: ws }, 10_000);
    const mine = all.filter((e) => e.sourceRequestId === b.source_request_id);
    expect(mine.map((e) => [e.eventType, e.eventName])).toEqual([
      ['screen_view', 'Cart'],
      ['commerce_event', 'add_to_cart'],
    ]);
    expect(mine[0]!.userIdentities).toEqual({ customer_id: b.user_identities.customerid });
  });
});

describe('bad input: a clear 4xx, nothing accepted, and the server keeps serving', () => {
  const cases: [string, () => ReturnType<typeof post>, number, RegExp][] = [
    ['malformed JSON', () => post('/v2/events', '{"events": ['), 400, /not valid JSON/],
    ['an empty body', () => post('/v2/events', ''), 400, /empty/],
    ['a wrong JSON type', () => post('/v2/events', batch({ events: 'many' })), 400, /"events" must be array/],
    ['an unknown event type', () => post('/v2/events', batch({ events: [{ event_type: 'warp', data: {} }] })), 400, /"warp" is not an event type/],
    [
      'a missing required field',
      () => post('/v2/events', batch({ events: [{ event_type: 'custom_event', data: {} }] })),
      400,
      /events\[0\]\.data\.event_name" is missing/,
    ],
    ['an array on /v2/events', () => post('/v2/events', [batch()]), 400, /bulkevents/],
    ['an empty bulk array', () => post('/v2/bulkevents', []), 400, /empty array/],
    ['a batch object on bulk', () => post('/v2/bulkevents', batch()), 400, /JSON array/],
    ['101 batches', () => post('/v2/bulkevents', Array.from({ length: 101 }, () => batch())), 400, /at most 100/],
    [
      'one invalid batch among valid ones',
      () => post('/v2/bulkevents', [batch(), batch({ environment: 'prod' }), batch()]),
      400,
      /"\[1\]\.environment" must be one of/,
    ],
    [
      'a batch over 128 KB in a bulk call',
      () => post('/v2/bulkevents', [batch({ user_attributes: { blob: 'x'.repeat(130 * 1024) } })]),
      400,
      /Batch \[0\] is larger than 128 KB/,
    ],
    ['a body over 256 KB', () => post('/v2/events', batch({ user_attributes: { blob: 'x'.repeat(260 * 1024) } })), 413, /256 KB/],
    ['a wrong content type', () => post('/v2/events', batch(), { 'content-type': 'text/csv' }), 415, /application\/json/],
    ['no credentials', () => post('/v2/events', batch(), { authorization: '' }), 401, /Missing Authorization/],
    ['a non-Basic Authorization header', () => post('/v2/events', batch(), { authorization: 'Bearer abc' }), 401, /Basic/],
    ['a wrong secret', () => post('/v2/events', batch(), { authorization: basicAuth('test-key', 'nope') }), 403, /do not match/],
    ['an unknown key', () => post('/v2/events', batch(), { authorization: basicAuth('who', 'nope') }), 403, /do not match/],
  ];

  it.each(cases)('%s', async (_name, send, status, message) => {
    const before = await stored();
    const lagBefore = await q.processor.lag();
    const res = await send();
    expect(res.statusCode).toBe(status);
    const body = res.json() as { errors: { code: string; message: string }[] };
    expect(body.errors.length).toBeGreaterThan(0);
    expect(body.errors.map((e) => e.message).join(' | ')).toMatch(message);
    expect(await q.processor.lag()).toBe(lagBefore);
    expect(await stored()).toBe(before);
    expect((await post('/v2/events', batch())).statusCode).toBe(202);
  });

  it('uses mParticle\'s BAD_REQUEST code for validation errors', async () => {
    const res = await post('/v2/events', batch({ events: [{ event_type: 'custom_event', data: {} }] }));
    expect(res.json()).toEqual({
      errors: [{ code: 'BAD_REQUEST', message: 'Required field "events[0].data.event_name" is missing or empty.' }],
    });
  });
});

describe('POST /v2/bulkevents/historical', () => {
  it('accepts events over 72 hours old and refuses recent or untimed ones', async () => {
    const old = Date.now() - 5 * 24 * 3600_000;
    const ev = (ts?: number) => ({ event_type: 'custom_event', data: { event_name: 'Old', ...(ts ? { timestamp_unixtime_ms: ts } : {}) } });
    expect((await post('/v2/bulkevents/historical', [batch({ events: [ev(old)] })])).statusCode).toBe(202);
    const recent = await post('/v2/bulkevents/historical', [batch({ events: [ev(Date.now())] })]);
    expect(recent.statusCode).toBe(400);
    expect(recent.body).toMatch(/less than 72 hours old/);
    expect((await post('/v2/bulkevents/historical', [batch({ events: [ev()] })])).body).toMatch(/required for historical/);
    expect((await post('/v2/bulkevents/historical', [batch({ events: [] })])).body).toMatch(/must contain events/);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After once an input exceeds its batches per second', async () => {
    const limited = await quantaApp({ QUANTA_RATE_LIMIT: '100' });
    try {
      const send = () =>
        limited.app.inject({
          method: 'POST',
          url: '/v2/bulkevents',
          headers: { authorization: basicAuth(), 'content-type': 'application/json' },
          payload: JSON.stringify(Array.from({ length: 60 }, () => batch())),
        });
      const first = await send();
      expect(first.statusCode).toBe(202);
      expect(Number(first.headers['x-mp-rate-limit-percentage-used'])).toBeGreaterThanOrEqual(60);
      const second = await send();
      expect(second.statusCode).toBe(429);
      expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(second.headers['x-mp-rate-limit-exceeded']).toBe('"app"');
      expect(second.json().errors[0].code).toBe('RATE_LIMITED');
      await limited.processor.caughtUp();
      expect(await limited.use('events').count({ workspaceId: ws })).toBe(60);
    } finally {
      await limited.close();
    }
  });
});

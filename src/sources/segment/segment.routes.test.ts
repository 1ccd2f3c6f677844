import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceId } from '../../kernel/ids.ts';
import type { Quanta } from '../../main.ts';
import type { StoredEvent } from '../../analytics/event-store.ts';
import type { LogRecord } from '../../model/envelope.ts';
import { API_KEY, basicAuth, quantaApp } from '../../../test/helpers/quanta-app.ts';

const ws = workspaceId(1);

interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: { batch: Record<string, unknown>[]; writeKey: string; sentAt: string };
  responseStatus: number;
}
const recorded = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/real-clients/segment.json', import.meta.url), 'utf8'),
) as Recorded[];

let q: Quanta;
let seq = 0;

/** analytics-node's auth: Basic base64(writeKey + ':'). */
const writeKeyAuth = (key = API_KEY) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

function post(path: string, payload: unknown, headers: Record<string, string> = {}) {
  return q.app.inject({
    method: 'POST',
    url: `/segment/v1/${path}`,
    headers: { authorization: writeKeyAuth(), 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
  });
}

const id = (prefix: string) => `${prefix}-${++seq}`;

async function allEvents(): Promise<StoredEvent[]> {
  await q.processor.caughtUp();
  return q.use('events').list({ workspaceId: ws }, 100_000);
}
async function eventsOf(messageId: string): Promise<StoredEvent[]> {
  return (await allEvents()).filter((e) => e.sourceRequestId === messageId);
}

/** Every record of the event log (the durable truth, batches without events included). */
async function logRecords(): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for (let p = 0; p < q.stores.log.partitionCount; p++) out.push(...(await q.stores.log.read(p, 0, 1_000_000)));
  return out;
}
async function recordOf(messageId: string): Promise<LogRecord[]> {
  return (await logRecords()).filter((r) => r.batch.source_request_id === messageId);
}
async function storedCount(): Promise<number> {
  return (await logRecords()).length;
}

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
});
afterAll(async () => {
  await q.close();
});

describe('each Segment call is accepted with 200 {"success": true} and stored', () => {
  it('POST /segment/v1/track stores a custom_event with the properties as custom attributes', async () => {
    const messageId = id('track');
    const res = await post('track', {
      userId: 'u-track',
      event: 'Item Purchased',
      properties: { name: 'Leap to Conclusions Mat', revenue: 14.99 },
      context: { ip: '24.5.68.47', userAgent: 'UA/1', os: { name: 'iOS', version: '17' }, app: { name: 'Shop', version: '1.0' } },
      timestamp: '2024-05-01T12:00:00.000Z',
      messageId,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true });
    const [e, ...rest] = await eventsOf(messageId);
    expect(rest).toEqual([]);
    expect(e).toMatchObject({
      eventType: 'custom_event',
      eventName: 'Item Purchased',
      customEventType: 'other',
      timestampMs: Date.parse('2024-05-01T12:00:00.000Z'),
      sourceMessageId: messageId,
      platform: 'iOS',
      userIdentities: { customer_id: 'u-track' },
      deviceInfo: { platform: 'iOS', os_version: '17', http_header_user_agent: 'UA/1' },
      applicationInfo: { application_name: 'Shop', application_version: '1.0' },
    });
    expect(e!.data.custom_attributes).toEqual({ name: 'Leap to Conclusions Mat', revenue: 14.99 });
    const [record] = await recordOf(messageId);
    expect(record!.ip).toBe('24.5.68.47');
    expect(record!.channel).toBe('server_to_server');
  });

  it('POST /segment/v1/page and /screen store screen views named by the page and screen', async () => {
    const page = id('page');
    const screen = id('screen');
    expect((await post('page', { anonymousId: 'anon-page', name: 'Home', properties: { path: '/' }, messageId: page })).statusCode).toBe(200);
    expect((await post('screen', { userId: 'u-screen', name: 'Settings', messageId: screen })).statusCode).toBe(200);
    const [p] = await eventsOf(page);
    expect(p).toMatchObject({ eventType: 'screen_view', eventName: 'Home', userIdentities: { other: 'anon-page' } });
    expect(p!.data.custom_attributes).toEqual({ path: '/' });
    expect(await eventsOf(screen)).toMatchObject([{ eventType: 'screen_view', eventName: 'Settings' }]);
  });

  it('POST /segment/v1/identify stores a batch with no event: identities, and traits on the profile', async () => {
    const messageId = id('identify');
    const res = await post('identify', { userId: 'u-ident', traits: { email: 'pg@example.com', name: 'Peter Gibbons', address: { city: 'Austin' } }, messageId });
    expect(res.statusCode).toBe(200);
    expect(await eventsOf(messageId)).toEqual([]);
    const [record] = await recordOf(messageId);
    expect(record!.batch.events).toEqual([]);
    expect(record!.batch.user_identities).toEqual({ customer_id: 'u-ident', email: 'pg@example.com' });
    const profile = await q.stores.profiles.get(ws, record!.mpid);
    expect(profile?.userAttributes).toEqual({ name: 'Peter Gibbons', 'address.city': 'Austin' });

    // A later track by the same userId is the same user.
    const track = id('track');
    await post('track', { userId: 'u-ident', event: 'After identify', messageId: track });
    expect((await eventsOf(track))[0]!.mpid).toBe(record!.mpid);
  });

  it('POST /segment/v1/group sets the group as user attributes', async () => {
    const messageId = id('group');
    expect((await post('group', { userId: 'u-group', groupId: 'g-1', traits: { company: 'Initech' }, messageId })).statusCode).toBe(200);
    const [record] = await recordOf(messageId);
    expect(record!.batch.events).toEqual([]);
    await q.processor.caughtUp();
    expect((await q.stores.profiles.get(ws, record!.mpid))?.userAttributes).toEqual({ 'group.company': 'Initech', 'group.id': 'g-1' });
  });

  it('POST /segment/v1/alias stores a user_identity_change, and the anonymous user becomes the known one', async () => {
    const anon = id('anon');
    const before = id('page');
    await post('page', { anonymousId: anon, name: 'Landing', messageId: before });
    const [anonymousEvent] = await eventsOf(before);
    const messageId = id('alias');
    expect((await post('alias', { userId: 'u-alias', previousId: anon, messageId })).statusCode).toBe(200);
    const [e] = await eventsOf(messageId);
    expect(e).toMatchObject({ eventType: 'user_identity_change', userIdentities: { customer_id: 'u-alias', other: anon } });
    expect(e!.data).toMatchObject({ new: { identity_type: 'customer_id', identity: 'u-alias' }, old: { identity_type: 'other', identity: anon } });
    // Profile conversion (the default strategy): the anonymous profile takes the customer id.
    expect(e!.mpid).toBe(anonymousEvent!.mpid);
  });

  it('POST /segment/v1/batch stores every message, each as its own batch', async () => {
    const ids = Array.from({ length: 6 }, () => id('b'));
    const res = await post('batch', {
      batch: [
        { type: 'identify', userId: 'u-batch', traits: { plan: 'pro' }, messageId: ids[0] },
        { type: 'track', userId: 'u-batch', event: 'Signed Up', properties: { source: 'ad' }, messageId: ids[1] },
        { type: 'page', userId: 'u-batch', name: 'Pricing', messageId: ids[2] },
        { type: 'screen', userId: 'u-batch', name: 'Cart', messageId: ids[3] },
        { type: 'group', userId: 'u-batch', groupId: 'g-2', messageId: ids[4] },
        { type: 'alias', userId: 'u-batch', previousId: 'old-batch', messageId: ids[5] },
      ],
      sentAt: new Date().toISOString(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true });
    const records = await Promise.all(ids.map(recordOf));
    expect(records.map((r) => r.length)).toEqual([1, 1, 1, 1, 1, 1]);
    const events = await allEvents();
    expect(ids.map((m) => events.filter((e) => e.sourceRequestId === m).map((e) => [e.eventType, e.eventName]))).toEqual([
      [],
      [['custom_event', 'Signed Up']],
      [['screen_view', 'Pricing']],
      [['screen_view', 'Cart']],
      [],
      [['user_identity_change', null]],
    ]);
    expect(new Set(records.map(([r]) => r!.mpid)).size).toBe(1);
  });

  it('accepts the writeKey in the body when there is no Authorization header', async () => {
    const messageId = id('bodykey');
    const res = await post('batch', { batch: [{ type: 'track', userId: 'u', event: 'Key in body', messageId }], writeKey: API_KEY }, { authorization: '' });
    expect(res.statusCode).toBe(200);
    expect(await eventsOf(messageId)).toHaveLength(1);
    const single = id('bodykey');
    expect((await post('track', { userId: 'u', event: 'Key in body', messageId: single, writeKey: API_KEY }, { authorization: '' })).statusCode).toBe(200);
    expect(await eventsOf(single)).toHaveLength(1);
  });

  it('ignores the password of the Basic header (Segment sends none); the mParticle key:secret works too', async () => {
    const messageId = id('secret');
    expect((await post('track', { userId: 'u', event: 'E', messageId }, { authorization: basicAuth() })).statusCode).toBe(200);
    expect(await eventsOf(messageId)).toHaveLength(1);
  });

  it('stores a retried messageId once, across endpoints', async () => {
    const messageId = id('retry');
    const message = { type: 'track', userId: 'u-retry', event: 'Retried', messageId };
    expect((await post('batch', { batch: [message] })).statusCode).toBe(200);
    expect((await post('batch', { batch: [message] }, { 'x-retry-count': '1' })).statusCode).toBe(200);
    expect((await post('track', message)).statusCode).toBe(200);
    expect(await eventsOf(messageId)).toHaveLength(1);
    expect(await recordOf(messageId)).toHaveLength(1);
  });

  it('accepts a batch over the 256 KB Events API body limit, up to Segment\'s 500 KB', async () => {
    const prefix = id('large');
    const batch = Array.from({ length: 30 }, (_, i) => ({
      type: 'track',
      userId: 'u-large',
      event: 'Large',
      properties: { blob: 'x'.repeat(12 * 1024) },
      messageId: `${prefix}-${i}`,
    }));
    const payload = JSON.stringify({ batch });
    expect(payload.length).toBeGreaterThan(256 * 1024);
    expect((await post('batch', payload)).statusCode).toBe(200);
    expect((await allEvents()).filter((e) => e.sourceRequestId?.startsWith(`${prefix}-`))).toHaveLength(30);
  });

  it('accepts more messages than an Events API bulk request holds (ingested 100 at a time)', async () => {
    const prefix = id('many');
    const batch = Array.from({ length: 250 }, (_, i) => ({ type: 'track', userId: `u-many-${i % 7}`, event: 'Many', messageId: `${prefix}-${i}` }));
    expect((await post('batch', { batch })).statusCode).toBe(200);
    expect((await allEvents()).filter((e) => e.sourceRequestId?.startsWith(`${prefix}-`))).toHaveLength(250);
  });

  it('accepts a gzipped body (Content-Encoding: gzip)', async () => {
    const messageId = id('gzip');
    const res = await post('batch', gzipSync(JSON.stringify({ batch: [{ type: 'track', userId: 'u', event: 'Zipped', messageId }] })), {
      'content-encoding': 'gzip',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await eventsOf(messageId)).toMatchObject([{ eventName: 'Zipped' }]);
  });
});

describe('the recorded @segment/analytics-node 3.1.0 request (wire truth)', () => {
  it('is answered with the recorded status and stores what it sent', async () => {
    expect(recorded.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /segment/v1/batch']);
    for (const r of recorded) {
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'user-agent', 'accept', 'accept-language', 'accept-encoding']) {
        if (r.headers[name]) headers[name] = r.headers[name];
      }
      // The recording's key was "capture-key": this Quanta's input key stands in for it.
      const res = await q.app.inject({
        method: r.method as 'POST',
        url: r.path,
        headers: { ...headers, authorization: writeKeyAuth() },
        payload: JSON.stringify({ ...r.body, writeKey: API_KEY }),
      });
      expect(res.statusCode, res.body).toBe(r.responseStatus);
      expect(res.json()).toEqual({ success: true });
    }
    const messages = recorded[0]!.body.batch;
    const ids = messages.map((m) => m.messageId as string);
    const events = await allEvents();
    expect(ids.map((m) => events.filter((e) => e.sourceRequestId === m).map((e) => [e.eventType, e.eventName]))).toEqual([
      [],
      [['custom_event', 'Item Purchased']],
      [['screen_view', 'Home']],
      [['screen_view', 'Settings']],
      [],
      [['user_identity_change', null]],
    ]);
    const track = events.find((e) => e.sourceRequestId === ids[1])!;
    expect(track.data.custom_attributes).toEqual({ name: 'Leap to Conclusions Mat', revenue: 14.99 });
    expect(track.timestampMs).toBe(Date.parse('2026-11-28T15:30:45.662Z'));
    expect(track.userIdentities).toEqual({ customer_id: 'seg-user-1' });
    const records = (await Promise.all(ids.map(recordOf))).map(([r]) => r!);
    expect(new Set(records.map((r) => r.mpid)).size).toBe(1);
    expect(records[0]!.batch.user_identities).toEqual({ customer_id: 'seg-user-1', email: 'pgibbons@example.com' });
    expect(records[5]!.batch.user_identities).toEqual({ customer_id: 'seg-user-1', other: 'anon-123' });
    const profile = await q.stores.profiles.get(ws, records[0]!.mpid);
    expect(profile?.userAttributes).toEqual({ name: 'Peter Gibbons', plan: 'pro', 'group.company': 'Initech', 'group.id': 'group-1' });
  });
});

describe('bad input: a clear 4xx, nothing stored, and the server keeps serving', () => {
  const track = (over: Record<string, unknown> = {}) => ({ userId: 'u-bad', event: 'Bad', messageId: id('bad'), ...over });
  const cases: [string, () => ReturnType<typeof post>, number, RegExp][] = [
    ['a track with neither userId nor anonymousId', () => post('track', track({ userId: undefined })), 400, /needs a userId or an anonymousId/],
    [
      'one message without ids in a batch of good ones',
      () => post('batch', { batch: [{ type: 'track', ...track() }, { type: 'page', name: 'P' }, { type: 'track', ...track() }] }),
      400,
      /batch\[1\] \(page\) needs a userId or an anonymousId \(field "batch\[1\]\.userId" or "batch\[1\]\.anonymousId"\)/,
    ],
    ['a wrong writeKey in the Basic header', () => post('track', track(), { authorization: writeKeyAuth('nope') }), 401, /writeKey matches no input/],
    ['a wrong writeKey in the body', () => post('batch', { batch: [{ type: 'track', ...track() }], writeKey: 'nope' }, { authorization: '' }), 401, /matches no input/],
    ['no writeKey at all', () => post('track', track(), { authorization: '' }), 401, /Missing writeKey/],
    ['a non-Basic Authorization header', () => post('track', track(), { authorization: 'Bearer abc' }), 401, /not Basic/],
    ['malformed JSON', () => post('batch', '{"batch": ['), 400, /not valid JSON/],
    ['an empty body', () => post('track', ''), 400, /empty/],
    ['a batch that is not an array', () => post('batch', { batch: { type: 'track' } }), 400, /"batch" must be an array/],
    ['an empty batch', () => post('batch', { batch: [] }), 400, /empty array/],
    ['an unknown call type', () => post('batch', { batch: [{ type: 'launch', userId: 'u' }] }), 400, /"launch" is not a Segment call type/],
    ['a track without an event name', () => post('track', track({ event: '' })), 400, /needs an event name/],
    ['a group without a groupId', () => post('group', { userId: 'u', messageId: id('bad') }), 400, /needs a groupId/],
    ['an alias without previousId', () => post('alias', { userId: 'u', messageId: id('bad') }), 400, /needs a previousId/],
    ['a timestamp that is not a date', () => post('track', track({ timestamp: 'yesterday' })), 400, /"timestamp" must be an ISO-8601 date/],
    ['properties that are not an object', () => post('track', track({ properties: 'x' })), 400, /"properties" must be an object/],
    [
      'a message over 32 KB',
      () => post('batch', { batch: [{ type: 'track', ...track({ properties: { blob: 'x'.repeat(33 * 1024) } }) }] }),
      400,
      /Message batch\[0\] is 33\.\d KB; Segment allows at most 32 KB per message/,
    ],
    [
      'a batch request over 500 KB',
      () => post('batch', { batch: Array.from({ length: 20 }, () => ({ type: 'track', ...track({ properties: { blob: 'x'.repeat(30 * 1024) } }) })) }),
      413,
      /larger than 500 KB; Segment allows 500 KB per batch request/,
    ],
    [
      'a single call over the 256 KB body limit',
      () => post('track', track({ properties: { blob: 'x'.repeat(260 * 1024) } })),
      413,
      /larger than 256 KB/,
    ],
    ['a body that is not gzip though it says so', () => post('track', JSON.stringify(track()), { 'content-encoding': 'gzip' }), 400, /not valid gzip/],
    ['an unsupported Content-Encoding', () => post('track', JSON.stringify(track()), { 'content-encoding': 'br' }), 415, /Content-Encoding "br"/],
    ['a wrong content type', () => post('track', track(), { 'content-type': 'text/csv' }), 415, /application\/json/],
  ];

  it.each(cases)('%s', async (_name, send, status, message) => {
    const before = await storedCount();
    const lagBefore = await q.processor.lag();
    const res = await send();
    expect(res.statusCode, res.body).toBe(status);
    const body = res.json() as { errors: { code: string; message: string }[] };
    expect(body.errors.length).toBeGreaterThan(0);
    expect(body.errors.map((e) => e.message).join(' | ')).toMatch(message);
    expect(await q.processor.lag()).toBe(lagBefore);
    expect(await storedCount()).toBe(before);
    const messageId = id('after');
    expect((await post('track', { userId: 'u-after', event: 'Still serving', messageId })).statusCode).toBe(200);
    expect(await eventsOf(messageId)).toHaveLength(1);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After once an input exceeds its batches per second', async () => {
    const limited = await quantaApp({ QUANTA_RATE_LIMIT: '100' });
    try {
      const send = (n: number) =>
        limited.app.inject({
          method: 'POST',
          url: '/segment/v1/batch',
          headers: { authorization: writeKeyAuth(), 'content-type': 'application/json' },
          payload: JSON.stringify({ batch: Array.from({ length: n }, () => ({ type: 'track', userId: 'u', event: 'E', messageId: id('rl') })) }),
        });
      expect((await send(80)).statusCode).toBe(200);
      const second = await send(80);
      expect(second.statusCode).toBe(429);
      expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      await limited.processor.caughtUp();
      expect(await limited.use('events').count({ workspaceId: ws })).toBe(80);
    } finally {
      await limited.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, dataOf, type Json, messages, v1Caller } from '../../test/helpers/platform-v1.ts';
import { bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { until } from '../../test/helpers/receiver.ts';
import { workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';

let q: Quanta;
let call: ReturnType<typeof v1Caller>;
let appId: number;
let feedId: number;
const report = (query = '') => call('GET', `/v1/workspace/1/userinsights?accountId=1${query}`);
const send = (url: string, auth: string, body: unknown) => q.app.inject({ method: 'POST', url, headers: { authorization: auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
const session = (user: string, events: number) => ({
  environment: 'production',
  user_identities: { customer_id: user },
  events: [{ event_type: 'session_start', data: {} }, ...Array.from({ length: events }, () => ({ event_type: 'custom_event', data: { event_name: 'Tap', custom_event_type: 'other' } }))],
});

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  call = v1Caller(q, await bearerAuth(q));
  const app = dataOf(await call('POST', '/v1/apps?accountId=1', { name: 'Insights', platforms: [{ os: 'Android' }] }))[0]!;
  appId = app.id as number;
  const keys = ((app.platforms as Json[])[0]!.access_keys as { key: string; secret: string }[])[0]!;
  const feed = dataOf(await call('POST', '/v1/workspace/1/partnerfeeds?accountId=1', { module_name: 'Custom Feed', name: 'Insights feed', os: 'Unknown' }))[0]!;
  feedId = feed.id as number;
  const feedKeys = (feed.access_keys as { key: string; secret: string }[])[0]!;
  for (const [user, events] of [['u1', 2], ['u2', 1], ['u1', 1]] as const) expect((await send('/v2/events', basic(keys.key, keys.secret), session(user, events))).statusCode).toBe(202);
  expect((await send('/s2s/v2/events', basic(feedKeys.key, feedKeys.secret), session('u3', 4))).statusCode).toBe(202);
  await until('the events in the event store', async () => (await q.use('events').count({ workspaceId: workspaceId(1) })) === 12);
});
afterAll(async () => {
  await q.close();
});

describe('User Insights (Platform API v1)', () => {
  it("counts an app's unique users, sessions and events exactly; what Quanta does not compute is null", async () => {
    const res = await report(`&applicationid=${appId}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      data: [
        {
          data_type: 'user_insights',
          report_calculation_time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
          application_id: appId,
          feed_id: null,
          app_unique_user_count: '2',
          app_session_count: '3',
          app_median_session_length: null,
          app_revenue: null,
          app_event_count: '7',
          report_rows: [],
        },
      ],
      dataType: 'user_insights',
      errors: null,
    });
  });

  it("counts a feed's, or the whole workspace's", async () => {
    expect(dataOf(await report(`&feedid=${feedId}`))[0]).toMatchObject({ feed_id: feedId, app_unique_user_count: '1', app_session_count: '1', app_event_count: '5' });
    expect(dataOf(await report())[0]).toMatchObject({ application_id: null, app_unique_user_count: '3', app_session_count: '4', app_event_count: '12' });
  });

  it('refuses an app or feed not in the workspace, both at once, and a call without accountId', async () => {
    expect((await report('&applicationid=999999')).statusCode).toBe(404);
    expect((await report('&feedid=999999')).statusCode).toBe(404);
    const both = await report(`&applicationid=${appId}&feedid=${feedId}`);
    expect(both.statusCode).toBe(422);
    expect(messages(both)).toEqual(['Send either feedid or applicationid, not both.']);
    expect((await call('GET', '/v1/workspace/1/userinsights')).statusCode).toBe(401);
    expect((await call('GET', '/v1/workspace/1/userinsights?accountId=1&applicationid=abc')).statusCode).toBe(400);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, dataOf, type Json, messages, v1Caller } from '../../test/helpers/platform-v1.ts';
import { bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { type Receiver, startReceiver, until } from '../../test/helpers/receiver.ts';
import { workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';

let q: Quanta;
let receiver: Receiver;
let call: ReturnType<typeof v1Caller>;
let appId: number;
let auth: string;

const post = (url: string, body: unknown) => q.app.inject({ method: 'POST', url, headers: { authorization: auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
const url = (path: string) => `/v1/apps/${appId}${path}?accountId=1`;
const pick = ({ name, attribute_name, type, event_type }: Json) => ({ name, attribute_name, type, event_type });
const batch = (events: unknown[], identities: Record<string, string> = { customer_id: 'dp-1' }) => ({ environment: 'production', user_identities: identities, user_attributes: { plan: 'gold' }, events });
const play = (name: string) => ({ event_type: 'custom_event', data: { event_name: name, custom_event_type: 'media', custom_attributes: { song: 'x' } } });

beforeAll(async () => {
  receiver = await startReceiver();
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  call = v1Caller(q, await bearerAuth(q));
  const app = dataOf(await call('POST', '/v1/apps?accountId=1', { name: 'Player', platforms: [{ os: 'iOS' }] }))[0]!;
  appId = app.id as number;
  const { key, secret } = ((app.platforms as Json[])[0]!.access_keys as { key: string; secret: string }[])[0]!;
  auth = basic(key, secret);
  const res = await post(
    '/v2/events',
    batch(
      [
        play('Play'),
        { event_type: 'screen_view', data: { screen_name: 'Home', custom_attributes: { tab: 'top' } } },
        { event_type: 'commerce_event', data: { product_action: { action: 'purchase', total_amount: 5 } } },
      ],
      { customer_id: 'dp-1', email: 'dp-1@example.com' },
    ),
  );
  expect(res.statusCode).toBe(202);
  await until('the catalog', async () => (await q.stores.catalog.points(workspaceId(1))).length >= 4);
});
afterAll(async () => {
  await q.close();
  await receiver.close();
});

describe('DataPoints (Platform API v1)', () => {
  it('lists the data points the catalog has seen, as v1 types them', async () => {
    const res = await call('GET', url('/datapoints'));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ dataType: 'datapoint', errors: null });
    const points = dataOf(res);
    for (const p of points) expect(p).toMatchObject({ data_type: 'datapoint', created_on: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T[\d:.]+$/) });
    expect(points.map(pick)).toEqual(
      expect.arrayContaining([
        { name: 'Play', attribute_name: null, type: 'Event', event_type: 'media' },
        { name: 'Play', attribute_name: 'song', type: 'EventAttribute', event_type: 'media' },
        { name: 'Home', attribute_name: null, type: 'ScreenView', event_type: null },
        { name: 'Home', attribute_name: 'tab', type: 'ScreenViewAttribute', event_type: null },
        { name: 'product_purchase', attribute_name: null, type: 'Commerce', event_type: 'product_purchase' },
        { name: 'plan', attribute_name: null, type: 'UserAttribute', event_type: null },
        { name: 'CustomerId', attribute_name: null, type: 'Identity', event_type: null },
        { name: 'Email', attribute_name: null, type: 'Identity', event_type: null },
      ]),
    );
  });

  it('adds data points in advance (PUT 202, POST 201), each once; refuses what is not one', async () => {
    const put = await call('PUT', url('/datapoints'), [{ name: 'Future', type: 'event', event_type: 'Navigation' }]);
    expect(put.statusCode, put.body).toBe(202);
    expect(dataOf(put).map(pick)).toEqual([{ name: 'Future', attribute_name: null, type: 'Event', event_type: 'navigation' }]);
    // One point alone, as mParticle's curl example sends it.
    const posted = await call('POST', url('/datapoints'), { name: 'Future', attribute_name: 'when', type: 'eventattribute', event_type: 'navigation' });
    expect(posted.statusCode, posted.body).toBe(201);
    await call('PUT', url('/datapoints'), [{ name: 'Future', type: 'Event', event_type: 'navigation' }]);
    const names = dataOf(await call('GET', url('/datapoints'))).filter((p) => p.name === 'Future').map(pick);
    expect(names).toEqual([
      { name: 'Future', attribute_name: null, type: 'Event', event_type: 'navigation' },
      { name: 'Future', attribute_name: 'when', type: 'EventAttribute', event_type: 'navigation' },
    ]);
    const bad = await call('PUT', url('/datapoints'), [{ name: 'x', type: 'Thing' }, { name: 'y', type: 'Event' }, { name: 'z', type: 'ScreenViewAttribute' }, { name: 'Fax', type: 'Identity' }]);
    expect(bad.statusCode).toBe(422);
    expect(messages(bad)).toEqual([
      expect.stringMatching(/^\[0\]\.type: "Thing" is not a DataPoint type/),
      expect.stringMatching(/^\[1\]\.event_type: required for Event/),
      '[2].attribute_name: required for ScreenViewAttribute, the attribute\'s name.',
      expect.stringMatching(/^\[3\]\.name: "Fax" is not a user identity type/),
    ]);
  });
});

describe('DataPoint filters (Platform API v1)', () => {
  beforeAll(async () => {
    const res = await call('PUT', url('/platforms/ios/services'), { name: 'webhook', settings: [{ name: 'url', value: receiver.url }] });
    expect(res.statusCode, res.body).toBe(202);
  });

  it('answers a service\'s filtering, 404 for a service that is none or that no platform sends to', async () => {
    expect((await call('GET', url('/Webhook'))).json()).toEqual({ data: [{ name: 'webhook', sendNewDataPointsByDefault: true }], dataType: 'datapoint', errors: null });
    expect((await call('GET', url('/GoogleAnalyticsEventForwarder'))).statusCode).toBe(404);
    const unconfigured = await call('GET', url('/amplitude/datapoints'));
    expect(unconfigured.statusCode).toBe(404);
    expect(unconfigured.headers['x-quanta-error-code']).toBe('QUANTA_APP_SERVICE_NOT_CONFIGURED');
  });

  it('switches data points off in the connection\'s data filter: the webhook gets the batch without them', async () => {
    const res = await call('PUT', url('/webhook/datapoints'), [
      { name: 'Play', type: 'event', event_type: 'media', enabled: false },
      { name: 'Home', attribute_name: 'tab', type: 'screenviewattribute', enabled: false },
      { name: 'email', type: 'UserIdentity', enabled: false },
      { name: 'Later', type: 'Event', event_type: 'other', enabled: true },
    ]);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual([
      { name: 'Play', type: 'Event', event_type: 'media', enabled: false },
      { name: 'Home', attribute_name: 'tab', type: 'ScreenViewAttribute', event_type: null, enabled: false },
      { name: 'Email', type: 'UserIdentity', event_type: null, enabled: false },
      { name: 'Later', type: 'Event', event_type: 'other', enabled: true },
    ]);
    const filters = dataOf(await call('GET', url('/webhook/datapoints')));
    const enabled = (type: string, name: string, attribute: string | null = null) => filters.find((f) => f.type === type && f.name === name && f.attribute_name === attribute)?.enabled;
    expect(enabled('Event', 'Play')).toBe(false);
    // Its attribute goes with it.
    expect(enabled('EventAttribute', 'Play', 'song')).toBe(false);
    expect(enabled('ScreenView', 'Home')).toBe(true);
    expect(enabled('ScreenViewAttribute', 'Home', 'tab')).toBe(false);
    expect(enabled('Identity', 'Email')).toBe(false);
    expect(enabled('Identity', 'CustomerId')).toBe(true);
    // A point the filter named that the app did not have is added to its data points.
    expect(enabled('Event', 'Later')).toBe(true);
    expect(dataOf(await call('GET', url('/datapoints'))).some((p) => p.name === 'Later')).toBe(true);

    expect((await post('/v2/events', batch([play('Play'), play('Stop')], { customer_id: 'dp-2', email: 'dp-2@example.com' }))).statusCode).toBe(202);
    await until('the filtered batch at the webhook', () => receiver.received.some((r) => r.body.includes('"Stop"')));
    const sent = receiver.received.find((r) => r.body.includes('"Stop"'))!.body;
    expect(sent).not.toContain('"Play"');
    expect(sent).not.toContain('dp-2@example.com');
    expect(sent).toContain('dp-2');
  });

  it('sets whether new data points go to the service (202); event types filter by their entry', async () => {
    const res = await call('PUT', url('/webhook'), { sendNewDataPointsByDefault: false });
    expect(res.statusCode, res.body).toBe(202);
    expect(dataOf(res)).toEqual([{ name: 'webhook', sendNewDataPointsByDefault: false }]);
    expect(dataOf(await call('GET', url('/webhook')))).toEqual([{ name: 'webhook', sendNewDataPointsByDefault: false }]);
    const filters = dataOf(await call('GET', url('/webhook/datapoints')));
    expect(filters.find((f) => f.type === 'Identity' && f.name === 'CustomerId')?.enabled).toBe(false);
    expect(filters.find((f) => f.name === 'Later')?.enabled).toBe(true);
    expect(messages(await call('PUT', url('/webhook'), { sendNewDataPointsByDefault: 'no' }))).toEqual(['sendNewDataPointsByDefault: required, true or false.']);

    expect((await call('PUT', url('/webhook/datapoints'), [{ name: 'navigation', type: 'EventType', enabled: true }])).statusCode).toBe(202);
    expect(dataOf(await call('GET', url('/webhook/datapoints'))).find((f) => f.type === 'EventType')).toMatchObject({ name: 'navigation', enabled: true });
    const unsupported = await call('PUT', url('/webhook/datapoints'), [{ type: 'All_User_Attributes', enabled: false }, { name: 'x', type: 'Event', event_type: 'media' }]);
    expect(unsupported.statusCode).toBe(422);
    expect(messages(unsupported)).toEqual([expect.stringContaining('[0].type: "All_User_Attributes" is not supported'), '[1].enabled: required, true or false.']);
  });
});

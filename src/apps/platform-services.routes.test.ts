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
let ios: { key: string; secret: string };

const post = (url: string, body: unknown, authorization: string) =>
  q.app.inject({ method: 'POST', url, headers: { authorization, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
const services = (os: string) => `/v1/apps/${appId}/platforms/${os}/services?accountId=1`;

beforeAll(async () => {
  receiver = await startReceiver();
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  call = v1Caller(q, await bearerAuth(q));
  const app = dataOf(await call('POST', '/v1/apps?accountId=1', { name: 'Services App', platforms: [{ os: 'iOS' }, { os: 'Android' }] }))[0]!;
  appId = app.id as number;
  const keys = ((app.platforms as Json[])[0]!.access_keys as { key: string; secret: string }[])[0]!;
  ios = keys;
});
afterAll(async () => {
  await q.close();
  await receiver.close();
});

describe('app platform services (Platform API v1)', () => {
  it('configures a service (202): the output and the platform\'s connection, confidential settings masked; data flows to it', async () => {
    expect((await call('GET', services('ios'))).json()).toEqual({ data: [], dataType: 'service', errors: null });
    const res = await call('PUT', services('ios'), {
      account: 'Default Account',
      name: 'Webhook',
      isActive: true,
      isVisible: true,
      settings: [
        { name: 'url', value: `${receiver.url}/events` },
        { name: 'authorization_header', value: 'Bearer secret-token-1234' },
        { name: 'send_as_batch', value: 'False' },
      ],
    });
    expect(res.statusCode, res.body).toBe(202);
    const configured = dataOf(res)[0]!;
    expect(configured).toMatchObject({ account: 'Default Account', name: 'webhook', isActive: true, isVisible: true, data_type: 'service' });
    const settings = configured.settings as { name: string; value: string | null; isConfidential: boolean }[];
    expect(settings).toContainEqual({ name: 'url', value: `${receiver.url}/events`, isConfidential: false });
    expect(settings).toContainEqual({ name: 'authorization_header', value: expect.stringMatching(/^\*+1234$/), isConfidential: true });
    expect(settings).toContainEqual({ name: 'send_as_batch', value: 'False', isConfidential: false });
    const listed = await call('GET', services('iOS'));
    expect(dataOf(listed)).toEqual([configured]);
    expect(listed.body).not.toContain('secret-token');

    const connections = (await call('GET', '/platform/v2/workspaces/1/connections')).json() as Json[];
    const input = q.stores.platform.inputs().find((i) => i.apiKey === ios.key)!;
    expect(connections.filter((c) => c.input_id === input.id)).toEqual([expect.objectContaining({ active: true, environment: 'all' })]);

    const batch = { environment: 'production', user_identities: { customer_id: 'svc-1' }, events: [{ event_type: 'custom_event', data: { event_name: 'Delivered', custom_event_type: 'other' } }] };
    expect((await post('/v2/events', batch, basic(ios.key, ios.secret))).statusCode).toBe(202);
    await until('the batch at the webhook', () => receiver.received.some((r) => r.body.includes('Delivered')));
    expect(receiver.received.find((r) => r.body.includes('Delivered'))!.headers.authorization).toBe('Bearer secret-token-1234');
  });

  it('shares the output by its account name with another platform, and switches a connection off with isActive', async () => {
    const android = await call('PUT', services('android'), { name: 'webhook' });
    expect(android.statusCode, android.body).toBe(202);
    expect(dataOf(android)[0]).toMatchObject({ account: 'Default Account', isActive: true, settings: expect.arrayContaining([{ name: 'url', value: `${receiver.url}/events`, isConfidential: false }]) });
    // The masked value sent back, as a GET shows it, keeps the stored one.
    const masked = (dataOf(android)[0]!.settings as { name: string; value: string }[]).find((s) => s.name === 'authorization_header')!.value;
    const off = await call('PUT', services('android'), { account: null, name: 'webhook', isActive: false, settings: [{ name: 'authorization_header', value: masked }] });
    expect(off.statusCode, off.body).toBe(202);
    expect(dataOf(off)[0]).toMatchObject({ isActive: false });
    expect(dataOf(await call('GET', services('ios')))[0]).toMatchObject({ isActive: true });
    const outputs = (await call('GET', '/platform/v2/workspaces/1/outputs')).json() as Json[];
    expect(outputs.filter((o) => o.name === 'Default Account')).toHaveLength(1);
    expect(q.stores.connections.outputs(workspaceId(1))[0]!.settings.authorization_header).toBe('Bearer secret-token-1234');
  });

  it('refuses with mParticle\'s messages, then what each problem is', async () => {
    const refused = async (body: unknown) => {
      const res = await call('PUT', services('ios'), body);
      expect(res.statusCode, res.body).toBe(422);
      return messages(res);
    };
    expect((await refused({ name: 'GoogleAnalyticsEventForwarder' }))[0]).toBe('Specified service not found.');
    expect(await refused({ name: 'webhook', settings: [{ name: 'apiKey', value: 'k' }] })).toEqual([
      'Provided setting not found.',
      expect.stringContaining('settings[0].name: webhook has no setting "apiKey"'),
    ]);
    expect(await refused({ name: 'webhook', settings: [{ name: 'url', value: '' }] })).toEqual(['Setting value is required.', 'settings[0].value: url needs a value.']);
    expect((await refused({ account: 'Second', name: 'webhook', settings: [] }))[0]).toBe('Required setting not provided.');
    expect(await refused({ account: 'Second', name: 'webhook', settings: [{ name: 'url', value: 'ftp://example.com' }] })).toEqual([
      'Invalid settings entered while updating the service.',
      'settings.url: must be an http or https URL, not ftp:',
    ]);
    expect(await refused({ name: 'webhook', isActive: 'yes' })).toEqual(['isActive: must be true or false.']);
    expect((await call('GET', `/v1/apps/${appId}/platforms/roku/services?accountId=1`)).statusCode).toBe(404);
  });
});

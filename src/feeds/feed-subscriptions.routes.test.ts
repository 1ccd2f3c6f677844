import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, dataOf, type Json, messages, v1Caller } from '../../test/helpers/platform-v1.ts';
import { bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { type Receiver, startReceiver, until } from '../../test/helpers/receiver.ts';
import type { Quanta } from '../main.ts';

let q: Quanta;
let receiver: Receiver;
let call: ReturnType<typeof v1Caller>;
let feed: { id: number; key: string; secret: string };
let outputId: number;

beforeAll(async () => {
  receiver = await startReceiver();
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  call = v1Caller(q, await bearerAuth(q));
  const created = dataOf(await call('POST', '/v1/workspace/1/partnerfeeds?accountId=1', { module_name: 'Custom Feed', name: 'CRM', os: 'Unknown' }))[0]!;
  const keys = (created.access_keys as { key: string; secret: string }[])[0]!;
  feed = { id: created.id as number, ...keys };
  const output = await call('POST', '/platform/v2/workspaces/1/outputs', { name: 'CRM webhook', kind: 'webhook', settings: { url: receiver.url } });
  expect(output.statusCode, output.body).toBe(201);
  outputId = (output.json() as { id: number }).id;
});
afterAll(async () => {
  await q.close();
  await receiver.close();
});

describe('output configurations and feed subscriptions (Platform API v1)', () => {
  it('lists a workspace\'s output configurations of a module (an output kind)', async () => {
    const res = await call('GET', '/v1/workspace/1/Webhook/serviceconfigurations?accountId=1');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      data: [{ id: outputId, name: 'CRM webhook', data_type: 'Service Configuration', created_on: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T[\d:.]+$/) }],
      data_type: 'Service Configuration',
      errors: null,
    });
    expect(dataOf(await call('GET', '/v1/workspace/1/amplitude/serviceconfigurations?accountId=1'))).toEqual([]);
    expect((await call('GET', '/v1/workspace/1/indicative/serviceconfigurations?accountId=1')).statusCode).toBe(404);
    expect((await call('GET', '/v1/workspace/1/webhook/serviceconfigurations')).statusCode).toBe(401);
  });

  it('subscribes a feed to an output (201): a connection from its input, which delivers the partner\'s batches', async () => {
    const res = await call('POST', `/v1/partnerfeeds/${feed.id}/subscriptions?accountId=1`, {
      service_configuration_id: outputId,
      is_active: true,
      os: 'ios',
      settings: [{ name: 'environment', value: 'production' }, { name: 'sampling_percent', value: '100' }],
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toEqual({ data: [{ data_type: 'PartnerFeed Subscription', id: expect.any(Number), created_on: expect.any(String) }], data_type: 'PartnerFeed Subscription', errors: null });
    const id = dataOf(res)[0]!.id;
    const listed = await call('GET', '/v1/partnerfeeds/1/subscriptions?accountId=1');
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json()).toEqual({
      data: [
        {
          settings: [{ value: 'production', name: 'environment' }, { value: '100', name: 'sampling_percent' }],
          is_active: true,
          service_configuration_id: outputId,
          config_name: 'CRM webhook',
          partner_feed_id: feed.id,
          data_type: 'Partner Feed Subscription',
          id,
          created_on: expect.any(String),
        },
      ],
      data_type: 'Partner Feed Subscription',
      errors: null,
    });
    // The feed itself is still read at /v1/partnerfeeds/{id}.
    expect(dataOf(await call('GET', `/v1/partnerfeeds/${feed.id}?accountId=1`))[0]).toMatchObject({ name: 'CRM' });

    const batch = { environment: 'production', user_identities: { customer_id: 'crm-1' }, events: [{ event_type: 'custom_event', data: { event_name: 'Synced', custom_event_type: 'other' } }] };
    const sent = await q.app.inject({ method: 'POST', url: '/s2s/v2/events', headers: { authorization: basic(feed.key, feed.secret), 'content-type': 'application/json' }, payload: JSON.stringify(batch) });
    expect(sent.statusCode).toBe(202);
    await until('the feed\'s batch at the output', () => receiver.received.some((r) => r.body.includes('Synced')));
  });

  it('refuses an unknown output, a second subscription to it, unknown settings and values; another account\'s feed is not found', async () => {
    const subscribe = (body: Json, id = feed.id, account = 1) => call('POST', `/v1/partnerfeeds/${id}/subscriptions?accountId=${account}`, body);
    const refused = async (body: Json) => {
      const res = await subscribe(body);
      expect(res.statusCode, res.body).toBe(422);
      return messages(res);
    };
    expect(await refused({ service_configuration_id: 999999 })).toEqual([expect.stringMatching(/^service_configuration_id: 999999 is not an output configuration of workspace 1/)]);
    expect(await refused({ service_configuration_id: outputId })).toEqual([`service_configuration_id: feed ${feed.id} already subscribes to output configuration ${outputId}.`]);
    const other = ((await call('POST', '/platform/v2/workspaces/1/outputs', { name: 'Second', kind: 'webhook', settings: { url: receiver.url } })).json() as { id: number }).id;
    expect(await refused({ service_configuration_id: other, is_active: 'yes', settings: [{ name: 'useCustomerId', value: true }] })).toEqual([
      'is_active: must be true or false.',
      'settings[0].name: "useCustomerId" is not a subscription setting; they are environment, sampling_percent.',
    ]);
    expect(await refused({ service_configuration_id: other, settings: [{ name: 'environment', value: 'staging' }] })).toEqual([expect.stringMatching(/^settings: environment: must be one of/)]);
    expect((await subscribe({ service_configuration_id: other }, 999999)).statusCode).toBe(404);
    const account = dataOf(await call('POST', '/v1/accounts', { name: 'Elsewhere' }))[0]!.id as number;
    expect((await subscribe({ service_configuration_id: other }, feed.id, account)).statusCode).toBe(404);
    expect((await call('GET', `/v1/partnerfeeds/1/subscriptions?accountId=${account}`)).statusCode).toBe(403);
  });
});

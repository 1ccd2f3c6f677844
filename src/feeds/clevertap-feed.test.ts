import { get, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { inputId, workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';
import type { CatalogPointView } from '../catalog/catalog-view.ts';
import { CLEVERTAP_PLAN } from './clevertap-contract.ts';

type Json = Record<string, unknown>;
interface Violation {
  subject: string;
  validation_error_type: string;
  key: string;
  count: number;
}

const ws = workspaceId(1);
const PLAN = '/platform/v2/workspaces/1/plans/clevertap_feed';
let q: Quanta;
let url: string;
let bearer: string;
let feed: { id: number; authorization: string };

const call = (method: 'GET' | 'POST' | 'PATCH', path: string, payload?: unknown, authorization = bearer) =>
  q.app.inject({
    method,
    url: path,
    headers: { authorization, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
  });

async function createFeed(module: string, name: string): Promise<{ id: number; authorization: string }> {
  const res = await call('POST', '/v1/workspace/1/partnerfeeds?accountId=1', { module_name: module, name, os: 'Android' });
  expect(res.statusCode, res.body).toBe(201);
  const data = (res.json() as { data: { id: number; access_keys: { key: string; secret: string }[] }[] }).data[0]!;
  const { key, secret } = data.access_keys[0]!;
  return { id: data.id, authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}` };
}

/** Posts a batch with the feed's credentials, as CleverTap does, and waits for the processor. */
async function send(batch: Json, from = feed): Promise<void> {
  const res = await call('POST', '/s2s/v2/events', batch, from.authorization);
  expect(res.statusCode, res.body).toBe(202);
  await q.processor.caughtUp();
}

const clevertap = (events: Json[], mpidHint: string): Json => ({
  environment: 'production',
  user_identities: { customer_id: `ct-${mpidHint}`, email: `${mpidHint}@example.com` },
  user_attributes: { ct_name: 'Ada', ct_email_opt_in: true, ct_push_opt_in: false },
  events,
});
const custom = (name: string, type: string, attributes: Json = {}) => ({ event_type: 'custom_event', data: { event_name: name, custom_event_type: type, custom_attributes: attributes } });

async function violations(): Promise<Violation[]> {
  const res = await call('GET', `${PLAN}/violations`);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { violations: Violation[] }).violations;
}
const storedNames = async () => (await q.use('events').list({ workspaceId: ws, inputIds: [inputId(feed.id)] }, 1000)).map((e) => e.eventName);

/** The live stream's `event` messages of the feed's input, until `count` arrived. */
function watch(count: number): Promise<Json[]> {
  return new Promise((resolve, reject) => {
    get(`${url}/livestream?input_id=${feed.id}`, { headers: { authorization: bearer } }, (res: IncomingMessage) => {
      const got: Json[] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const data = buffer.slice(0, end).split('\n').find((l) => l.startsWith('data: '));
          buffer = buffer.slice(end + 2);
          if (data) got.push(JSON.parse(data.slice(6)) as Json);
          if (got.length === count) {
            res.destroy();
            resolve(got);
          }
        }
      });
    }).on('error', reject);
  });
}

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  url = await q.app.listen({ host: '127.0.0.1', port: 0 });
  bearer = await bearerAuth(q);
  feed = await createFeed('CleverTap', 'CleverTap Android');
});
afterAll(async () => {
  await q.close();
});

describe('a CleverTap feed, checked against CleverTap\'s contract', () => {
  it('puts the contract in the workspace as the data plan clevertap_feed, active, once', async () => {
    const res = await call('GET', PLAN);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ data_plan_id: 'clevertap_feed', data_plan_versions: [{ version: 1, activated_environment: 'production', created_by: 'quanta' }] });
    expect((res.json() as { data_plan_versions: { version_document: unknown }[] }).data_plan_versions[0]!.version_document).toEqual(CLEVERTAP_PLAN.data_plan_versions[0]!.version_document);
    await createFeed('CleverTap', 'CleverTap iOS');
    expect((await call('GET', PLAN)).json()).toMatchObject({ data_plan_versions: [{ version: 1 }] });
  });

  it('finds no violation in a documented event with its attributes, ct_* user attributes and customer id + email', async () => {
    await send(clevertap([custom('App Launched', 'other', { 'CT Source': 'Mobile', 'CT App Version': '3.1', 'CT Session Id': 17, 'My Own Property': 'x' })], 'valid'));
    expect(await violations()).toEqual([]);
    expect(await storedNames()).toContain('App Launched');
  });

  it('reports an undocumented event, a documented name of the wrong type (and an opt-in flag that is no boolean), in the report and on the live stream, and stores both', async () => {
    const live = watch(2);
    const wrong = clevertap([custom('Cart Abandoned', 'other'), custom('Notification Clicked', 'navigation', { wzrk_pid: '1' })], 'wrong');
    await send({ ...wrong, user_attributes: { ct_push_opt_in: 'no' } });
    const [undocumented, wrongType] = await live;
    expect(undocumented).toMatchObject({ event_name: 'Cart Abandoned', violations: [{ validation_error_type: 'unplanned', key: 'Cart Abandoned' }] });
    expect(wrongType).toMatchObject({ event_name: 'Notification Clicked', violations: [{ validation_error_type: 'unplanned', key: 'Notification Clicked' }] });
    expect((await violations()).map((v) => [v.subject, v.validation_error_type, v.key, v.count])).toEqual([
      ['custom_event:navigation:Notification Clicked', 'unplanned', 'Notification Clicked', 1],
      ['custom_event:other:Cart Abandoned', 'unplanned', 'Cart Abandoned', 1],
      ['user_attributes', 'invalid_value', 'ct_push_opt_in', 1],
    ]);
    expect(await storedNames()).toEqual(expect.arrayContaining(['Cart Abandoned', 'Notification Clicked']));
  });

  it('blocks nothing even when the workspace sets the contract plan to block', async () => {
    const doc = { ...CLEVERTAP_PLAN.data_plan_versions[0]!.version_document, settings: { validation_actions: { event: 'drop_batch', event_attribute: 'drop_event', user_attribute: 'drop_batch' } } };
    expect((await call('PATCH', `${PLAN}/versions/1`, { version_document: doc })).statusCode).toBe(200);
    await send(clevertap([custom('Wishlist Shared', 'social')], 'blocking'));
    expect(await storedNames()).toContain('Wishlist Shared');
    expect((await violations()).find((v) => v.key === 'Wishlist Shared')).toMatchObject({ subject: 'custom_event:social:Wishlist Shared', count: 1 });
    const blocked = await call('GET', `${PLAN}/blocked`);
    expect(blocked.statusCode, blocked.body).toBe(200);
    expect(blocked.json()).toMatchObject({ blocked: [], total: 0 });
  });

  it('labels CleverTap\'s events in the catalog with the contract\'s descriptions', async () => {
    const other = await createFeed('Custom Feed', 'CRM');
    await send({ environment: 'production', user_identities: { customer_id: 'crm-1' }, events: [custom('Synced', 'other')] }, other);
    await send(clevertap([{ event_type: 'uninstall', data: { custom_attributes: { 'CT Source': 'Mobile', clevertapId: 'abc' } } }], 'gone'));
    const res = await call('GET', '/platform/v2/workspaces/1/catalog');
    expect(res.statusCode, res.body).toBe(200);
    const points = (res.json() as { data_points: CatalogPointView[] }).data_points;
    const point = (name: string) => points.find((p) => p.name === name);
    expect(point('App Launched')).toMatchObject({ description: 'This event is raised every time a user launches the application.', covered_by: [{ data_plan_id: 'clevertap_feed', version: 1 }] });
    expect(point('uninstall')).toMatchObject({ description: 'Event recorded when a user uninstalls the application.' });
    expect(point('Cart Abandoned')).toMatchObject({ description: null });
    expect(point('Synced')).toMatchObject({ description: null });
  });
});

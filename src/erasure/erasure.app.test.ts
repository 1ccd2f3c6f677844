import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPABILITIES } from '../capabilities.ts';
import { replay } from '../cli/replay.ts';
import { type Mpid, workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';
import { openStorage } from '../storage/engines.ts';
import { PLAN } from '../../test/fixtures/data-plan.ts';
import { basicAuth, bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { type Receiver, startReceiver, until } from '../../test/helpers/receiver.ts';
import { duckHolding, dump, holding } from '../../test/helpers/store-scan.ts';

const ws = workspaceId(1);
type Json = Record<string, unknown>;

/** The erased user's identifying values: none may be left in any store. */
const ERASED = { customer_id: 'erase-me-a', email: 'erase-me-a@example.com', nickname: 'ada-secret-nick', hobby: 'ada-secret-hobby' };
const KEPT = { customer_id: 'keep-me-b', email: 'keep-me-b@example.com', nickname: 'bob-plain-nick', hobby: 'bob-plain-hobby' };

/** What a user sends: a production batch (profile, calculated attribute, audience, outputs, catalog) and a development one the plan blocks in part. */
function batchesOf(u: typeof ERASED) {
  return [
    {
      environment: 'production',
      user_identities: { customer_id: u.customer_id, email: u.email },
      user_attributes: { tier: 'gold', nickname: u.nickname },
      events: [{ event_type: 'custom_event', data: { event_name: 'Purchase', custom_event_type: 'transaction', custom_attributes: { amount: 30, note: u.nickname } } }],
    },
    {
      environment: 'development',
      user_identities: { customer_id: u.customer_id },
      user_attributes: { hobby: u.hobby },
      events: [{ event_type: 'screen_view', data: { screen_name: 'Nowhere', custom_attributes: { anchor: u.hobby } } }],
      context: { data_plan: { plan_id: 'shop' } },
    },
  ];
}

/**
 * Tables that keep an erased MPID alone, by design: the log's tombstones, the identity store's
 * erased MPIDs, and the cursors of calculations from history (the last MPID a page reached).
 */
const MPID_ONLY = ['log.sqlite:tombstones', 'state.sqlite:erased_users', 'state.sqlite:au_calculations', 'state.sqlite:ca_calculations'];
const holdingMpid = (dataDir: string, mpid: string) => holding(dataDir, mpid).filter((table) => !MPID_ONLY.includes(table));

let q: Quanta;
let bearer: string;
let receiver: Receiver;
let erased: Mpid;
let kept: Mpid;
let audienceId: number;

const call = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
  q.app.inject({ method, url, headers: { authorization: bearer, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}) });
const send = async (batch: unknown) => {
  const res = await q.app.inject({ method: 'POST', url: '/v2/events', headers: { authorization: basicAuth(), 'content-type': 'application/json' }, payload: JSON.stringify(batch) });
  expect(res.statusCode, res.body).toBe(202);
};
const search = async (customerId: string) => {
  const res = await q.app.inject({ method: 'POST', url: '/identity/v1/search', headers: { authorization: basicAuth() }, payload: { environment: 'production', known_identities: { customerid: customerId } } });
  return res.statusCode === 200 ? ((res.json() as { mpid: Mpid }).mpid as Mpid) : undefined;
};

beforeAll(async () => {
  receiver = await startReceiver((r) => (r.path === '/dlq' ? { status: 422, body: '{"error":"refused"}' } : { status: 200 }));
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  bearer = await bearerAuth(q);
  const platform = '/platform/v2/workspaces/1';
  expect((await call('POST', `${platform}/plans`, { data_plan_id: 'shop', data_plan_name: 'Shop', data_plan_versions: [{ version: 1, activated_environment: 'development', version_document: PLAN }] })).statusCode).toBe(200);
  const ca = await call('POST', `${platform}/calculatedattributes`, {
    name: 'Spend',
    draft_definition: {
      recipe_type: 'event',
      datapoint: { type: 'event', event_name: 'Purchase', attribute_name: 'amount', event_type: 'custom_event', custom_event_type: 'transaction' },
      conditions: [],
      calculation_type: 'sum',
      time_period: { type: 'since', date: `${new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10)}T00:00:00`, within: null, within_unit: null },
      seeding: null,
    },
  });
  expect(ca.statusCode, ca.body).toBe(200);
  expect((await call('POST', `${platform}/calculatedattributes/${ca.json() as number}/activation`)).statusCode).toBe(204);
  const audience = await call('POST', `${platform}/audiences`, { name: 'Gold', definition: { user_attribute: { name: 'tier', operator: 'equals', value: 'gold' } } });
  expect(audience.statusCode, audience.body).toBe(201);
  audienceId = (audience.json() as { id: number }).id;
  expect((await call('POST', `${platform}/audiences/${audienceId}/activation`)).statusCode).toBe(200);
  for (const path of ['/hook', '/dlq']) {
    const output = await call('POST', `${platform}/outputs`, { name: `Hook ${path}`, kind: 'webhook', settings: { url: `${receiver.url}${path}` } });
    expect(output.statusCode, output.body).toBe(201);
    expect((await call('POST', `${platform}/connections`, { output_id: (output.json() as { id: number }).id })).statusCode).toBe(201);
  }
  await until('the attribute calculated', async () => ((await call('GET', `${platform}/calculatedattributes/${ca.json() as number}/calculation`)).json() as Json).is_calculated === true);
  for (const u of [ERASED, KEPT]) for (const b of batchesOf(u)) await send(b);
  await q.processor.caughtUp();
  erased = (await search(ERASED.customer_id))!;
  kept = (await search(KEPT.customer_id))!;
  await until('both users in the audience', async () => ((await call('GET', `${platform}/audiences/${audienceId}/size`)).json() as Json).size === 2);
  await until('dead letters of both', () => receiver.received.filter((r) => r.path === '/dlq').length >= 2);
  await until("the users' batches delivered", () => receiver.received.filter((r) => r.path === '/hook').length >= 2);
  // Audience memberships are written behind: the user is in the store before it is erased from it.
  await new Promise((r) => setTimeout(r, 200));
}, 60_000);

afterAll(async () => {
  await q?.close().catch(() => undefined);
  await receiver?.close();
});

describe('erasing a user through the real app', () => {
  it('holds the user everywhere before the erasure (the check below would find them)', () => {
    expect(erased).toBeDefined();
    expect(holding(q.config.dataDir, ERASED.email).length).toBeGreaterThan(0);
    expect(holding(q.config.dataDir, ERASED.hobby)).toEqual(expect.arrayContaining(['log.sqlite:log']));
    expect(holding(q.config.dataDir, ERASED.nickname)).toEqual(expect.arrayContaining(['state.sqlite:profiles', 'log.sqlite:log']));
  });

  it('erases the user, and no public API returns anything of theirs', async () => {
    const report = await q.use('subjectEraser').erase(ws, [erased]);
    expect(report.users).toBe(1);
    expect(report.rows).toBeGreaterThan(5);
    expect((await call('GET', `/userprofile/v1/1/1/1/${erased}?fields=user_identities,user_attributes,audience_memberships`)).statusCode).toBe(404);
    expect((await call('GET', `/userprofile/v1/1/1/1/${kept}?fields=user_identities`)).statusCode).toBe(200);
    expect(await search(ERASED.customer_id)).toBeUndefined();
    expect(await search(KEPT.customer_id)).toBe(kept);
    const members = await call('GET', `/platform/v2/workspaces/1/audiences/${audienceId}/members`);
    expect(members.body).not.toContain(erased);
    expect(members.body).toContain(kept);
    expect(await q.use('events').count({ workspaceId: ws, mpid: erased })).toBe(0);
    expect(await q.use('events').count({ workspaceId: ws, mpid: kept })).toBeGreaterThan(0);
    const blocked = await call('GET', '/platform/v2/workspaces/1/plans/shop/blocked');
    expect(blocked.body).not.toContain(ERASED.hobby);
    expect(blocked.body).toContain(KEPT.hobby);
    const catalog = await call('GET', '/platform/v2/workspaces/1/catalog');
    expect(catalog.body).not.toContain(ERASED.nickname);
  });

  it('backfills the blocked data of the other user only', async () => {
    const backfill = await call('POST', '/platform/v2/workspaces/1/plans/shop/backfill', {});
    expect(backfill.statusCode, backfill.body).toBe(200);
    expect(backfill.body).not.toContain(erased);
    await q.processor.caughtUp();
    expect(await q.use('events').count({ workspaceId: ws, mpid: erased })).toBe(0);
  });

  it('leaves nothing of the user in any store, read by SQL (state, delivery, log, event store), and keeps the other user', async () => {
    const dir = q.config.dataDir;
    expect(holdingMpid(dir, erased)).toEqual([]);
    for (const needle of [ERASED.customer_id, ERASED.email, ERASED.nickname, ERASED.hobby]) expect(holding(dir, needle), needle).toEqual([]);
    expect(holding(dir, KEPT.email)).toEqual(expect.arrayContaining(['state.sqlite:identity_records', 'log.sqlite:log']));
    expect(holding(dir, kept)).toEqual(expect.arrayContaining(['state.sqlite:profiles', 'delivery.sqlite:stream']));
    const tombstones = dump(join(dir, 'log.sqlite')).get('tombstones')!;
    expect(tombstones).toContain(erased);
    await q.close();
    expect(await duckHolding(dir, [erased, ERASED.customer_id, ERASED.email, ERASED.nickname, ERASED.hobby])).toEqual([]);
    expect(await duckHolding(dir, [kept, KEPT.email])).toEqual(expect.arrayContaining([`events.duckdb:events:${kept}`, `events.duckdb:batches:${KEPT.email}`]));
  });

  it('does not bring the user back with quanta replay', async () => {
    const config = q.config;
    await replay(config, { capabilities: CAPABILITIES, storage: openStorage(config, 'cli'), progress: false });
    const dir = config.dataDir;
    expect(holdingMpid(dir, erased)).toEqual([]);
    for (const needle of [ERASED.email, ERASED.nickname, ERASED.hobby]) expect(holding(dir, needle), needle).toEqual([]);
    expect(await duckHolding(dir, [erased, ERASED.email])).toEqual([]);
    expect(holding(dir, kept)).toEqual(expect.arrayContaining(['state.sqlite:profiles']));
  }, 60_000);

  it('makes a new user of events with the erased identities or naming the erased MPID, after a restart', async () => {
    const { createQuanta } = await import('../main.ts');
    q = await createQuanta(q.config, pino({ level: 'silent' }));
    bearer = await bearerAuth(q);
    await send({ environment: 'production', mpid: erased, user_identities: { customer_id: ERASED.customer_id }, events: [] });
    await q.processor.caughtUp();
    const again = await search(ERASED.customer_id);
    expect(again).toBeDefined();
    expect(again).not.toBe(erased);
    expect((await call('GET', `/userprofile/v1/1/1/1/${erased}?fields=user_identities`)).statusCode).toBe(404);
    expect((await call('GET', `/userprofile/v1/1/1/1/${again}?fields=user_identities`)).statusCode).toBe(200);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { type Mpid, workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';
import { basicAuth, bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { type Audience, startedCalculation } from './audience-store.ts';
import { parseAudienceDefinition } from './parse-definition.ts';

const ws = workspaceId(1);
let q: Quanta | undefined;
let seq = 0;

afterEach(async () => {
  await q?.close();
  q = undefined;
});

interface Sent {
  customer: string;
  events: { type?: 'custom_event' | 'commerce_event'; name?: string; action?: string; atMs?: number }[];
  attributes?: Record<string, unknown>;
}

async function send(app: Quanta, s: Sent): Promise<void> {
  const res = await app.app.inject({
    method: 'POST',
    url: '/v2/events',
    headers: { authorization: basicAuth(), 'content-type': 'application/json' },
    payload: {
      environment: 'production',
      source_request_id: `au-${++seq}`,
      user_identities: { customer_id: s.customer, email: `${s.customer}@example.com` },
      user_attributes: s.attributes ?? {},
      events: s.events.map((e) =>
        e.type === 'commerce_event'
          ? { event_type: 'commerce_event', data: { timestamp_unixtime_ms: e.atMs ?? Date.now(), product_action: { action: e.action, products: [{ id: 'p1', name: 'Shoe', price: 10 }] } } }
          : { event_type: 'custom_event', data: { timestamp_unixtime_ms: e.atMs ?? Date.now(), event_name: e.name, custom_event_type: 'other' } },
      ),
    },
  });
  expect(res.statusCode, res.body).toBe(202);
}

/**
 * Creates an active real-time audience in the store. `activated`: as the Platform API's activation
 * leaves it (a calculation from history to run); otherwise decided live only.
 */
async function activeAudience(app: Quanta, name: string, raw: unknown, activated = false): Promise<Audience> {
  const parsed = parseAudienceDefinition(raw, { self: null, namedBy: () => [] });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const created = await app.stores.audiences.create(ws, {
    name,
    description: null,
    kind: 'realtime',
    definition: parsed.definition,
    created_on: new Date().toISOString(),
    created_by: 'client_id:test',
    last_modified_on: null,
    last_modified_by: null,
    is_active: true,
    activated_on: new Date().toISOString(),
    revision: 1,
  });
  if (created === 'name-taken') throw new Error('taken');
  if (activated) {
    await app.stores.audiences.putCalculation(startedCalculation(created, Date.now()));
  }
  return created;
}

/** Waits until the processor has calculated the audience from history. */
async function calculated(app: Quanta, audience: Audience): Promise<void> {
  await expect.poll(async () => (await app.stores.audiences.calculation(ws, audience.id, audience.revision))?.status, { timeout: 15_000 }).toBe('calculated');
}

const mpidOf = (app: Quanta, customer: string) => app.use('graph').search(ws, { customer_id: customer })!.mpid as Mpid;
const membershipsOf = async (app: Quanta, customer: string) =>
  ((await app.use('profileApi').byMpid(ws, mpidOf(app, customer), new Set(['audience_memberships']))).audience_memberships ?? []) as {
    audience_id: number;
    audience_name: string;
  }[];
const changesOf = async (app: Quanta) => (await app.stores.audiences.changesAfter(0, 100)).map((c) => ({ id: c.audienceId, mpid: c.mpid, change: c.change }));

describe('real-time audiences in the processor', () => {
  it('adds a user as the qualifying batch is processed, shows it in the Profile API, and records each change once', async () => {
    q = await quantaApp({ QUANTA_AUDIENCE_WRITE_MS: '0' });
    const app = q;
    const abandoners = await activeAudience(app, 'Cart abandoners', {
      and: [
        { event: { event_type: 'commerce_event', product_action: 'add_to_cart', count: { operator: 'at_least', value: 2 } } },
        { not: { event: { event_type: 'commerce_event', product_action: 'purchase' } } },
      ],
    });
    const gold = await activeAudience(app, 'Gold', { user_attribute: { name: 'tier', operator: 'equals', value: 'gold' } });
    await send(app, { customer: 'ada', events: [{ type: 'commerce_event', action: 'add_to_cart' }] });
    await send(app, { customer: 'ada', events: [{ type: 'commerce_event', action: 'add_to_cart' }], attributes: { tier: 'Gold' } });
    await send(app, { customer: 'bob', events: [{ type: 'commerce_event', action: 'add_to_cart' }, { type: 'commerce_event', action: 'add_to_cart' }] });
    await app.processor.caughtUp();
    expect(await membershipsOf(app, 'ada')).toEqual([
      { audience_id: abandoners.id, audience_name: 'Cart abandoners', expiration_timestamp_ms: null },
      { audience_id: gold.id, audience_name: 'Gold', expiration_timestamp_ms: null },
    ]);
    expect((await app.stores.audiences.members(ws, abandoners.id, null, 10)).map((m) => m.mpid).sort()).toEqual([mpidOf(app, 'ada'), mpidOf(app, 'bob')].sort());
    // Bob buys: he leaves the audience.
    await send(app, { customer: 'bob', events: [{ type: 'commerce_event', action: 'purchase' }] });
    await app.processor.caughtUp();
    expect(await membershipsOf(app, 'bob')).toEqual([]);
    const [ada, bob] = [mpidOf(app, 'ada'), mpidOf(app, 'bob')];
    // Each user's changes in order (users on different partitions interleave).
    const changes = await changesOf(app);
    expect(changes.filter((c) => c.mpid === ada)).toEqual([
      { id: abandoners.id, mpid: ada, change: 'added' },
      { id: gold.id, mpid: ada, change: 'added' },
    ]);
    expect(changes.filter((c) => c.mpid === bob)).toEqual([
      { id: abandoners.id, mpid: bob, change: 'added' },
      { id: abandoners.id, mpid: bob, change: 'removed' },
    ]);
    expect(await app.stores.audiences.size(ws, abandoners.id)).toBe(1);
  });

  it('a recency window ends by itself: the user leaves with no new event', async () => {
    q = await quantaApp({ QUANTA_AUDIENCE_WRITE_MS: '0' });
    const app = q;
    const recent = await activeAudience(app, 'Played in the last 2 seconds', { event: { event_type: 'custom_event', event_name: 'Play', within: { value: 2, unit: 'seconds' } } });
    await send(app, { customer: 'cy', events: [{ name: 'Play' }] });
    await app.processor.caughtUp();
    expect((await membershipsOf(app, 'cy')).map((m) => m.audience_id)).toEqual([recent.id]);
    await expect.poll(() => membershipsOf(app, 'cy'), { timeout: 6000, interval: 200 }).toEqual([]);
    expect((await changesOf(app)).map((c) => c.change)).toEqual(['added', 'removed']);
  });

  it('an audience naming another is decided after it, on the same batch', async () => {
    q = await quantaApp({ QUANTA_AUDIENCE_WRITE_MS: '0' });
    const app = q;
    const players = await activeAudience(app, 'Players', { event: { event_type: 'custom_event', event_name: 'Play' } });
    const parsed = parseAudienceDefinition(
      { and: [{ audience: { id: players.id, member: true } }, { identity: { type: 'email', operator: 'pattern', value: '*@example.com' } }] },
      { self: null, namedBy: (id) => (id === players.id ? [] : undefined) },
    );
    if (!parsed.ok) throw new Error(parsed.problems.join());
    const { id: _id, workspaceId: _ws, ...fields } = players;
    const created = await app.stores.audiences.create(ws, { ...fields, name: 'Players with email', definition: parsed.definition });
    if (created === 'name-taken') throw new Error('taken');
    await send(app, { customer: 'dee', events: [{ name: 'Play' }] });
    await app.processor.caughtUp();
    expect((await membershipsOf(app, 'dee')).map((m) => m.audience_name).sort()).toEqual(['Players', 'Players with email']);
  });

  it('activated later, is calculated from history and profiles, then kept current live, each event once', async () => {
    q = await quantaApp({ QUANTA_AUDIENCE_WRITE_MS: '0' });
    const app = q;
    // Before the audience: ee adds to cart twice, fay once, gus only has a profile.
    await send(app, { customer: 'ee', events: [{ type: 'commerce_event', action: 'add_to_cart' }] });
    await send(app, { customer: 'ee', events: [{ type: 'commerce_event', action: 'add_to_cart' }] });
    await send(app, { customer: 'fay', events: [{ type: 'commerce_event', action: 'add_to_cart' }] });
    await send(app, { customer: 'gus', events: [{ name: 'Browse' }], attributes: { tier: 'gold' } });
    await app.processor.caughtUp();
    const carts = await activeAudience(app, 'Two carts', { event: { event_type: 'commerce_event', product_action: 'add_to_cart', count: { operator: 'at_least', value: 2 } } }, true);
    const gold = await activeAudience(app, 'Gold', { user_attribute: { name: 'tier', operator: 'equals', value: 'gold' } }, true);
    // Fay's second cart arrives while the audience is being calculated.
    await send(app, { customer: 'fay', events: [{ type: 'commerce_event', action: 'add_to_cart' }] });
    await app.processor.caughtUp();
    await calculated(app, carts);
    await calculated(app, gold);
    expect((await membershipsOf(app, 'ee')).map((m) => m.audience_name)).toEqual(['Two carts']);
    expect((await membershipsOf(app, 'fay')).map((m) => m.audience_name)).toEqual(['Two carts']);
    expect((await membershipsOf(app, 'gus')).map((m) => m.audience_name)).toEqual(['Gold']);
    expect(await app.stores.audiences.calculation(ws, carts.id, carts.revision)).toMatchObject({ usersDone: 3, usersTotal: 3, phase: 'users' });
    // Each event once, whichever side of the handover the second cart fell: one from history, one live.
    const user = (await app.stores.audiences.users(ws, [mpidOf(app, 'fay')])).get(mpidOf(app, 'fay'))!;
    expect(Object.values(user.events).map((t) => t.n)).toEqual([2]);
    // Live from now on.
    await send(app, { customer: 'gus', events: [{ type: 'commerce_event', action: 'add_to_cart' }, { type: 'commerce_event', action: 'add_to_cart' }] });
    await app.processor.caughtUp();
    expect((await membershipsOf(app, 'gus')).map((m) => m.audience_name).sort()).toEqual(['Gold', 'Two carts']);
    const changes = await changesOf(app);
    expect(changes.filter((c) => c.change === 'added').length).toBe(4);
    expect(changes.filter((c) => c.change === 'removed')).toEqual([]);
  });

  it('through the Platform API: created, activated, calculated, its members and size answered', async () => {
    q = await quantaApp({ QUANTA_AUDIENCE_WRITE_MS: '0' });
    const app = q;
    await send(app, { customer: 'hal', events: [{ name: 'Play' }] });
    await app.processor.caughtUp();
    const authorization = await bearerAuth(app);
    const call = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
      app.app.inject({ method, url, headers: { authorization, ...(payload ? { 'content-type': 'application/json' } : {}) }, ...(payload ? { payload: JSON.stringify(payload) } : {}) });
    const base = '/platform/v2/workspaces/1/audiences';
    const created = await call('POST', base, { name: 'Players', definition: { event: { event_type: 'custom_event', event_name: 'Play' } } });
    expect(created.statusCode, created.body).toBe(201);
    const { id } = created.json() as { id: number };
    expect((await call('POST', `${base}/${id}/activation`)).statusCode).toBe(200);
    await expect.poll(async () => ((await call('GET', `${base}/${id}/activation`)).json() as { calculation: { status: string } }).calculation.status, { timeout: 15_000 }).toBe('calculated');
    await send(app, { customer: 'ivy', events: [{ name: 'Play' }] });
    await app.processor.caughtUp();
    expect((await call('GET', `${base}/${id}/size`)).json()).toEqual({ audience_id: id, size: 2 });
    const members = (await call('GET', `${base}/${id}/members`)).json() as { members: { mpid: string }[] };
    expect(members.members.map((m) => m.mpid).sort()).toEqual([mpidOf(app, 'hal'), mpidOf(app, 'ivy')].sort());
    expect((await call('GET', `${base}/${id}/activation`)).json()).toMatchObject({ is_active: true, calculation: { status: 'calculated', users_done: 1, users_total: 1 } });
  });
});

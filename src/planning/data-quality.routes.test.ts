import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMpid, workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';
import type { Batch } from '../model/batch.ts';
import type { DataPlanDocument } from './data-plan.ts';
import { basicAuth, bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { PLAN, screen, search } from '../../test/fixtures/data-plan.ts';

let q: Quanta;
let bearer: string;
const ws = workspaceId(1);
const PLANS = '/platform/v2/workspaces/1/plans';
const T0 = Date.UTC(2026, 10, 1);

const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, auth: string | null = bearer) =>
  q.app.inject({
    method,
    url,
    headers: { ...(auth ? { authorization: auth } : {}), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
  });
const upload = async (batches: Batch[]) => {
  const res = await q.app.inject({
    method: 'POST',
    url: '/v2/bulkevents',
    headers: { authorization: basicAuth(), 'content-type': 'application/json' },
    payload: JSON.stringify(batches),
  });
  expect(res.statusCode, res.body).toBe(202);
  await q.processor.caughtUp();
};
const storedEvents = async () => q.use('events').list({ workspaceId: ws }, 1000);

/** PLAN, blocking unplanned identities too (Quanta's extension). */
const V1: DataPlanDocument = {
  ...PLAN,
  settings: { validation_actions: { ...PLAN.settings!.validation_actions, user_identity: 'drop_attribute' } },
};
/** V1 plus what the first batch had unplanned: the Nowhere screen, the hobby attribute and the `other` identity. */
const V2: DataPlanDocument = {
  ...V1,
  data_points: [
    ...V1.data_points!.map((p) => {
      if (p.match.type === 'user_attributes') {
        const def = p.validator.definition as { properties: Record<string, unknown> };
        return { ...p, validator: { type: 'json_schema' as const, definition: { ...def, properties: { ...def.properties, hobby: { type: 'string' } } } } };
      }
      if (p.match.type === 'user_identities') {
        const def = p.validator.definition as { properties: Record<string, unknown> };
        return { ...p, validator: { type: 'json_schema' as const, definition: { ...def, properties: { ...def.properties, other: { type: 'string' } } } } };
      }
      return p;
    }),
    { match: { type: 'screen_view', criteria: { screen_name: 'Nowhere' } }, validator: { type: 'json_schema', definition: {} } },
  ],
};

/** A batch with one of everything: valid, invalid, unplanned event, unplanned attribute, user attribute and identity. */
const mixed: Batch = {
  environment: 'development',
  events: [
    { ...search({ query: 'dune', category: 'books' }), data: { ...search({ query: 'dune', category: 'books' }).data, timestamp_unixtime_ms: T0 } },
    { ...search({ query: 'q', category: 'games' }), data: { ...search({ query: 'q', category: 'games' }).data, timestamp_unixtime_ms: T0 + 1 } },
    { ...search({ query: 'q', category: 'film', x: 1 }), data: { ...search({ query: 'q', category: 'film', x: 1 }).data, timestamp_unixtime_ms: T0 + 2 } },
    { ...screen('Nowhere'), data: { ...screen('Nowhere').data, timestamp_unixtime_ms: T0 + 3 } },
  ],
  user_attributes: { age: 30, plan: 'pro', hobby: 'chess' },
  user_identities: { customer_id: 'dq-1', email: 'dq@example.com', other: 'o-1' },
  context: { data_plan: { plan_id: 'shop' } },
};

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  bearer = await bearerAuth(q);
  const created = await call('POST', PLANS, {
    data_plan_id: 'shop',
    data_plan_name: 'Shop',
    data_plan_versions: [{ version: 1, activated_environment: 'development', version_document: V1 }],
  });
  expect(created.statusCode, created.body).toBe(200);
  await upload([mixed]);
});
afterAll(async () => {
  await q.close();
});

describe('enforcement on ingest (the data-plan stage)', () => {
  it('keeps planned and invalid events, tags the invalid one, blocks the unplanned event and attribute', async () => {
    const events = await storedEvents();
    expect(events.map((e) => e.eventName)).toEqual(['Search', 'Search', 'Search']);
    const [valid, invalid, extra] = events;
    expect(valid!.violations).toBeNull();
    expect(invalid!.violations).toEqual([expect.objectContaining({ validation_error_type: 'invalid_value', key: 'category' })]);
    // The unplanned attribute was removed; the event keeps its violation tag.
    expect(extra!.data.custom_attributes).toEqual({ query: 'q', category: 'film' });
    expect(extra!.violations).toEqual([expect.objectContaining({ validation_error_type: 'unplanned', key: 'x' })]);
  });

  it('keeps unplanned user attributes and identities off the profile and the stored batch', async () => {
    const [event] = await storedEvents();
    expect(event!.userAttributes).toEqual({ age: 30, plan: 'pro' });
    expect(event!.userIdentities).toEqual({ customer_id: 'dq-1', email: 'dq@example.com' });
    const profile = await q.stores.profiles.get(ws, event!.mpid);
    expect(profile!.userAttributes).toEqual({ age: 30, plan: 'pro' });
  });

  it('keeps the blocked data in mParticle quarantine format', async () => {
    const res = await call('GET', `${PLANS}/shop/blocked`);
    expect(res.statusCode, res.body).toBe(200);
    const { blocked, total } = res.json();
    expect(total).toBe(1);
    expect(blocked[0]).toMatchObject({ version: 1, whole_batch: false, backfilled_at: null });
    const batch = blocked[0].batch as Batch;
    const idOf = (i: number) => String(batch.events[i]!.data.event_id);
    expect(batch.events).toHaveLength(4);
    expect(batch.context!.data_plan).toEqual({
      plan_id: 'shop',
      plan_version: 1,
      block_metadata: {
        dto_version: 1,
        blocked_user_identities: ['other'],
        blocked_device_identities: [],
        blocked_event_ids: [idOf(3)],
        blocked_event_attributes: [{ event_id: idOf(2), event_attributes: ['./data/custom_attributes/x'] }],
        blocked_user_attributes: ['hobby'],
      },
    });
  });

  it('counts violations per plan version in the report', async () => {
    const res = await call('GET', `${PLANS}/shop/violations?version=1`);
    expect(res.statusCode, res.body).toBe(200);
    const lines = (res.json().violations as { subject: string; validation_error_type: string; key: string; count: number }[]).map(
      (v) => `${v.subject} ${v.validation_error_type} ${v.key} ${v.count}`,
    );
    expect(lines.sort()).toEqual(
      [
        'custom_event:search:Search invalid_value category 1',
        'custom_event:search:Search unplanned x 1',
        'screen_view::Nowhere unplanned Nowhere 1',
        'user_attributes unplanned hobby 1',
        'user_identities unplanned other 1',
      ].sort(),
    );
    expect(res.json().violations[0].last_seen).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('does not enforce a version in an environment it is not active in', async () => {
    const before = (await storedEvents()).length;
    await upload([{ ...mixed, environment: 'production', user_identities: { customer_id: 'dq-prod' } }]);
    const events = await storedEvents();
    expect(events.length - before).toBe(4);
    expect(events.slice(before).every((e) => e.violations === null)).toBe(true);
  });

  it('blocks a whole batch when the plan says drop_batch', async () => {
    const created = await call('POST', PLANS, {
      data_plan_id: 'strict',
      data_plan_name: 'Strict',
      data_plan_versions: [{ version: 1, activated_environment: 'none', version_document: { ...PLAN, settings: { validation_actions: { event: 'drop_batch' } } } }],
    });
    expect(created.statusCode, created.body).toBe(200);
    const before = (await storedEvents()).length;
    await upload([{ ...mixed, user_identities: { customer_id: 'dq-strict' }, context: { data_plan: { plan_id: 'strict', plan_version: 1 } } }]);
    expect((await storedEvents()).length).toBe(before);
    const { blocked } = (await call('GET', `${PLANS}/strict/blocked`)).json();
    expect(blocked).toHaveLength(1);
    expect(blocked[0].whole_batch).toBe(true);
    expect(blocked[0].batch.context.data_plan.block_metadata.blocked_event_ids).toHaveLength(4);
  });
});

describe('blocked data backfill', () => {
  it('refuses bad requests and changes nothing', async () => {
    expect((await call('POST', `${PLANS}/nope/backfill`, {})).statusCode).toBe(404);
    expect((await call('POST', `${PLANS}/shop/backfill`, { target_version: 9 })).statusCode).toBe(404);
    const bad = await call('POST', `${PLANS}/shop/backfill`, { limit: 'many', colour: 1 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { message: string }) => e.message).join(' ')).toMatch(/limit.*colour|colour.*limit/s);
    expect((await call('POST', `${PLANS}/shop/backfill`, { from: 'yesterday' })).json().errors[0].message).toMatch(/from "yesterday" is not a date/);
    expect((await call('POST', `${PLANS}/shop/backfill`, {}, null)).statusCode).toBe(401);
    expect((await call('GET', `${PLANS}/nope/violations`)).statusCode).toBe(404);
    expect((await call('GET', `${PLANS}/shop/blocked?pending=true`)).json().total).toBe(1);
  });

  it('counts without sending on a dry run, and says what the target version still blocks', async () => {
    const dry = await call('POST', `${PLANS}/shop/backfill`, { dry_run: true });
    expect(dry.json()).toEqual({ target_version: 1, examined: 1, sent: 1, blocked_again: 1, nothing_to_send: 0, remaining: 0, last_id: 1 });
    expect((await call('GET', `${PLANS}/shop/blocked?pending=true`)).json().total).toBe(1);
  });

  it('re-sends the blocked data under the same user once the plan allows it', async () => {
    const added = await call('POST', `${PLANS}/shop/versions`, { version: 2, activated_environment: 'development', version_document: V2 });
    expect(added.statusCode, added.body).toBe(200);
    const before = await storedEvents();
    const mpid = before[0]!.mpid;
    const mine = (events: typeof before) => events.filter((e) => e.mpid === mpid);
    const res = await call('POST', `${PLANS}/shop/backfill`, { blocked_version: 1 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ target_version: 2, examined: 1, sent: 1, blocked_again: 0, nothing_to_send: 0, remaining: 0, last_id: 1 });
    await q.processor.caughtUp();
    const after = await storedEvents();
    const nowhere = mine(after).filter((e) => e.eventName === 'Nowhere');
    expect(nowhere).toHaveLength(1);
    expect(nowhere[0]).toMatchObject({ mpid, timestampMs: T0 + 3, violations: null });
    // Only the blocked parts were re-sent: no Search event came twice.
    expect(mine(after).length - mine(before).length).toBe(1);
    expect(nowhere[0]!.userAttributes).toEqual({ hobby: 'chess' });
    expect(nowhere[0]!.userIdentities).toMatchObject({ other: 'o-1', customer_id: 'dq-1' });
    const profile = await q.stores.profiles.get(ws, parseMpid(mpid)!);
    expect(profile!.userAttributes).toEqual({ age: 30, plan: 'pro', hobby: 'chess' });
    const { blocked } = (await call('GET', `${PLANS}/shop/blocked`)).json();
    expect(blocked[0].backfilled_at).toMatch(/^\d{4}-/);
    // Done once: a second backfill finds nothing waiting.
    expect((await call('POST', `${PLANS}/shop/backfill`, {})).json()).toMatchObject({ examined: 0, sent: 0, remaining: 0 });
  });
});

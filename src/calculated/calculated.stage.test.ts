import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Mpid, workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';
import { basicAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { DuckDbEventStore } from '../storage/duckdb/duckdb-event-store.ts';
import type { CalculatedAttribute } from './calculated-store.ts';
import { parseDefinition } from './parse-definition.ts';

const ws = workspaceId(1);
let q: Quanta | undefined;
let seq = 0;

afterEach(async () => {
  await q?.close();
  q = undefined;
});

async function send(app: Quanta, customer: string, events: { name: string; amount?: number }[]): Promise<void> {
  const res = await app.app.inject({
    method: 'POST',
    url: '/v2/events',
    headers: { authorization: basicAuth(), 'content-type': 'application/json' },
    payload: {
      environment: 'production',
      source_request_id: `ca-${++seq}`,
      user_identities: { customer_id: customer },
      events: events.map((e) => ({
        event_type: 'custom_event',
        data: { event_name: e.name, custom_event_type: 'transaction', custom_attributes: e.amount === undefined ? {} : { amount: String(e.amount) } },
      })),
    },
  });
  expect(res.statusCode, res.body).toBe(202);
}

const definition = (calculation: string, attribute: string | null = null) => {
  const parsed = parseDefinition(
    {
      recipe_type: 'event',
      datapoint: { type: 'event', event_type: 'custom_event', event_name: 'Purchase', custom_event_type: 'transaction', attribute_name: attribute },
      calculation_type: calculation,
      time_period: { type: 'within', within: 30, within_unit: 'days' },
    },
    { retentionDays: 365, nowMs: Date.now() },
  );
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.definition;
};

/** Creates an attribute and activates it, as the Platform API does (a new revision). */
async function activate(app: Quanta, name: string, calculation: string, attribute: string | null = null): Promise<CalculatedAttribute> {
  const def = definition(calculation, attribute);
  const created = await app.stores.calculated.create(ws, {
    name,
    description: null,
    created_on: new Date().toISOString(),
    created_by: 'client_id:test',
    last_modified_on: null,
    last_modified_by: null,
    draft_definition: null,
    active_definition: def,
    activated_on: new Date().toISOString(),
    activated_by: 'client_id:test',
    revision: 1,
  });
  if (created === 'name-taken') throw new Error('taken');
  return created;
}

const mpidOf = (app: Quanta, customer: string) => app.use('graph').search(ws, { customer_id: customer })!.mpid as Mpid;
const attributesOf = async (app: Quanta, customer: string) =>
  ((await app.use('profileApi').byMpid(ws, mpidOf(app, customer), new Set(['user_attributes']))).user_attributes ?? {}) as Record<string, unknown>;

/** Waits until the processor has computed the attribute from history. */
async function calculated(app: Quanta, attribute: CalculatedAttribute): Promise<void> {
  await expect
    .poll(async () => (await app.stores.calculated.calculation(ws, attribute.id, attribute.revision))?.status, { timeout: 15_000 })
    .toBe('calculated');
}

describe('calculated attributes in the processor', () => {
  it('counts and sums as events arrive, shown in the Profile API, on the live stream and in the event store', async () => {
    q = await quantaApp();
    const app = q;
    const purchases = await activate(app, 'purchases', 'count');
    await activate(app, 'spent', 'sum', 'amount');
    const live: { mpid: string; attributes: Record<string, unknown> }[] = [];
    const unsubscribe = app.processor.live.subscribe({ workspaceId: ws }, (m) => {
      if (m.kind === 'event') live.push({ mpid: m.event.mpid, attributes: m.event.userAttributes });
    });
    await send(app, 'ada', [{ name: 'Purchase', amount: 10.5 }, { name: 'Browse' }]);
    await send(app, 'ada', [{ name: 'Purchase', amount: 4 }, { name: 'Purchase', amount: 0.25 }]);
    await send(app, 'bob', [{ name: 'Purchase', amount: 1 }]);
    await app.processor.caughtUp();
    await calculated(app, purchases);
    expect(await attributesOf(app, 'ada')).toMatchObject({ purchases: '3', spent: '14.75' });
    expect(await attributesOf(app, 'bob')).toMatchObject({ purchases: '1', spent: '1' });
    // Each batch shows the values after it: the first batch's events saw one purchase.
    await expect.poll(() => live.length).toBe(5);
    unsubscribe();
    const ada = mpidOf(app, 'ada');
    expect(live.filter((e) => e.mpid === ada).map((e) => e.attributes.purchases)).toEqual(['1', '1', '3', '3']);
    expect(live.filter((e) => e.mpid !== ada).map((e) => e.attributes)).toEqual([{ purchases: '1', spent: '1' }]);
    // The event store keeps the batches as sent, and each user's current values (written behind: at the latest when Quanta stops).
    const stored = await app.use('events').list({ workspaceId: ws, mpid: ada }, 10);
    expect(stored.map((e) => e.userAttributes.purchases)).toEqual([undefined, undefined, undefined, undefined]);
    await app.close();
    q = undefined;
    const events = await DuckDbEventStore.open(join(app.config.dataDir, 'events.duckdb'));
    try {
      expect((await events.calculatedValues(ws, ada))?.values).toEqual({ purchases: '3', spent: '14.75' });
    } finally {
      await events.close();
    }
  });

  it('activated later, computes what came before from the event store and goes on live, each event once', async () => {
    q = await quantaApp();
    const app = q;
    await send(app, 'cy', [{ name: 'Purchase' }, { name: 'Purchase' }]);
    await send(app, 'cy', [{ name: 'Purchase' }]);
    await app.processor.caughtUp();
    const purchases = await activate(app, 'purchases', 'count');
    // Events keep coming while it is activated.
    const during = Array.from({ length: 5 }, () => send(app, 'cy', [{ name: 'Purchase' }]));
    await Promise.all(during);
    await app.processor.caughtUp();
    await calculated(app, purchases);
    expect(await attributesOf(app, 'cy')).toMatchObject({ purchases: '8' });
    await send(app, 'cy', [{ name: 'Purchase' }]);
    await app.processor.caughtUp();
    expect(await attributesOf(app, 'cy')).toMatchObject({ purchases: '9' });
    expect(await app.stores.calculated.calculation(ws, purchases.id, purchases.revision)).toMatchObject({ usersDone: 1, usersTotal: 1 });
  });

  it('activated over history alone, puts the users\' values in the event store', async () => {
    q = await quantaApp();
    const app = q;
    await send(app, 'dee', [{ name: 'Purchase' }, { name: 'Purchase' }]);
    await app.processor.caughtUp();
    const purchases = await activate(app, 'purchases', 'count');
    await calculated(app, purchases);
    const dee = mpidOf(app, 'dee');
    await app.close();
    q = undefined;
    const events = await DuckDbEventStore.open(join(app.config.dataDir, 'events.duckdb'));
    try {
      expect((await events.calculatedValues(ws, dee))?.values).toEqual({ purchases: '2' });
    } finally {
      await events.close();
    }
  });
});

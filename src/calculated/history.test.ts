import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore } from '../analytics/event-store.ts';
import { inputId, type Mpid, parseMpid, workspaceId } from '../kernel/ids.ts';
import type { BatchEvent } from '../model/batch.ts';
import type { LogRecord } from '../model/envelope.ts';
import { DuckDbEventStore } from '../storage/duckdb/duckdb-event-store.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { type HistoryStrategy, readHistory, strategyOf } from './history.ts';
import { eventTimeMs, observeEvent } from './observations.ts';
import { customEvent, DAY, definitionOf, HOUR, impressions, NOW, productAction, promotionAction, screenView, within } from './test-batches.ts';
import type { ActiveAttribute } from './user-values.ts';
import { type AttributeState, newState, observe, rangeOf } from './windows.ts';

const ws = workspaceId(1);
const USERS = ['-3', '11', '12', '900'];

/** Events of every kind the data point filters tell apart, over three weeks before NOW. */
function eventsOf(user: number, i: number): BatchEvent[] {
  const at = NOW - ((i * 7 + user * 13) % 500) * HOUR;
  switch (i % 9) {
    case 0:
      return [customEvent('Play', { n: i }, at, 'media'), customEvent('Play', null, at + 1, 'other')];
    case 1:
      return [screenView('Home', at), { event_type: 'screen_view', data: { event_name: 'Home', screen_name: '', timestamp_unixtime_ms: at } }];
    case 2:
      return [productAction('purchase', [{ id: 'p' }], { atMs: at }), productAction('purchase', [], { atMs: at, eventName: 'Big buy' })];
    case 3:
      return [productAction('remove_from_wish_list', [{ id: 'p' }], { atMs: at }), productAction('add_to_cart', [{ id: 'p' }], { atMs: at, eventName: '' })];
    case 4:
      return [promotionAction('click', [{ id: 'x' }], at), impressions([{ id: 'p' }], at)];
    case 5:
      return [{ event_type: 'commerce_event', data: { timestamp_unixtime_ms: at, product_action: ['purchase'], event_name: 'Big buy' } }];
    case 6:
      return [{ event_type: 'session_start', data: { timestamp_unixtime_ms: at } }, customEvent('Pause', {}, at)];
    case 7:
      return [promotionAction('view', [{ id: 'y' }], at), productAction('click', [{ id: 'p' }], { atMs: at, eventName: 'Big buy' })];
    default:
      return [screenView('Cart', at - 30 * DAY)];
  }
}

const records: LogRecord[] = [];
for (let i = 0; i < 60; i++) {
  USERS.forEach((mpid, user) => {
    const offset = records.length + 1;
    records.push({
      workspaceId: ws,
      inputId: inputId(1),
      mpid: parseMpid(mpid) as Mpid,
      receivedAtMs: NOW,
      channel: 'server_to_server',
      historical: false,
      ip: null,
      dedupKey: null,
      partition: offset % 2,
      offset,
      batch: { environment: 'production', user_identities: {}, user_attributes: {}, events: eventsOf(user, i) },
    });
  });
}
/** The handover: records past it are not history. */
const upTo = new Map([
  [0, 200],
  [1, 190],
]);

/** Each user's state as the stage computes it, event by event in the order history is read (time, then log position). */
function expected(attribute: ActiveAttribute): Map<string, AttributeState> {
  const def = attribute.definition;
  const events = records
    .filter((r) => r.offset <= (upTo.get(r.partition) ?? -1))
    .flatMap((r) => r.batch.events.map((event, index) => ({ mpid: String(r.mpid), event, at: eventTimeMs(event, r.batch, r.receivedAtMs), r, index })))
    .sort((a, b) => (BigInt(a.mpid) < BigInt(b.mpid) ? -1 : BigInt(a.mpid) > BigInt(b.mpid) ? 1 : a.at - b.at || a.r.offset - b.r.offset || a.index - b.index));
  const states = new Map<string, AttributeState>();
  const counted = new Set<string>();
  for (const e of events) {
    const batch = { timestamp_unixtime_ms: e.at };
    states.set(e.mpid, observe(def, states.get(e.mpid) ?? newState(def), e.event, batch, e.at));
    const o = observeEvent(def, e.event, batch, e.at);
    if (o && o.atMs >= rangeOf(def).fromMs) counted.add(e.mpid);
  }
  // Users none of whose events counted have no state from history.
  for (const mpid of states.keys()) if (!counted.has(mpid)) states.delete(mpid);
  return states;
}

let store: EventStore;
beforeAll(async () => {
  store = await DuckDbEventStore.open(join(tempDir('history'), 'events.duckdb'));
  await store.append(records);
});
afterAll(async () => store.close());

async function read(attribute: ActiveAttribute, strategy: HistoryStrategy, afterMpid?: Mpid) {
  let users = -1;
  const states = new Map<string, AttributeState>();
  await readHistory({ attribute, upTo, ...(afterMpid ? { afterMpid } : {}) }, store, {
    users: async (total) => void (users = total),
    user: async (mpid, state) => void states.set(mpid, state),
  }, strategy);
  return { users, states };
}

const attribute = (calculation: string, datapoint: Record<string, unknown>, rest: Record<string, unknown> = {}): ActiveAttribute => ({
  id: 1,
  workspaceId: ws,
  name: 'a',
  revision: 1,
  definition: definitionOf(calculation, datapoint, rest),
});

const DATA_POINTS: Record<string, unknown>[] = [
  { event_type: 'custom_event', event_name: 'Play' },
  { event_type: 'custom_event', event_name: 'Play', custom_event_type: 'media' },
  { event_type: 'screen_view', event_name: 'Home' },
  { event_type: 'screen_view', event_name: 'Cart' },
  { event_type: 'commerce_event', event_name: null, custom_event_type: 'purchase' },
  { event_type: 'commerce_event', event_name: 'Big buy', custom_event_type: 'purchase' },
  { event_type: 'commerce_event', event_name: null, custom_event_type: 'remove_from_wishlist' },
  { event_type: 'commerce_event', event_name: null, custom_event_type: 'click' },
  { event_type: 'commerce_event', event_name: null, custom_event_type: 'click', attribute_category: 'product_attribute' },
  { event_type: 'commerce_event', event_name: 'Other', custom_event_type: 'add_to_cart' },
  { event_type: 'commerce_event', event_name: null },
  { event_type: 'commerce_event', event_name: 'Big buy' },
  { event_type: 'session_start', event_name: null },
];
const PERIODS: Record<string, unknown>[] = [{}, within(2), within(3, 'weeks')];

describe('reading history', () => {
  it('tallies in the event store exactly what observing each event computes, for every data point and date range', async () => {
    for (const calculation of ['count', 'first_occurrence_timestamp', 'last_occurrence_timestamp']) {
      for (const datapoint of DATA_POINTS) {
        for (const period of PERIODS) {
          const a = attribute(calculation, datapoint, period);
          expect(strategyOf(a), JSON.stringify(datapoint)).toBe('tally');
          const want = expected(a);
          const tallied = await read(a, 'tally');
          const observed = await read(a, 'observe');
          const where = `${calculation} ${JSON.stringify(datapoint)} ${JSON.stringify(period)}`;
          expect(Object.fromEntries(tallied.states), where).toEqual(Object.fromEntries(want));
          expect(Object.fromEntries(observed.states), where).toEqual(Object.fromEntries(want));
          expect(tallied.users, where).toBe(want.size);
        }
      }
    }
  });

  it('observes each event where a tally cannot do: values, conditions, impressions', async () => {
    const cases = [
      attribute('sum', { event_type: 'custom_event', event_name: 'Play', attribute_name: 'n' }),
      attribute('count', { event_type: 'custom_event', event_name: 'Play' }, { conditions: [{ type: 'number', operator: 'exists', attribute_name: 'n' }] }),
      attribute('count', { event_type: 'commerce_event', event_name: null, custom_event_type: 'impression' }),
      attribute('unique_list', { event_type: 'commerce_event', custom_event_type: 'purchase', attribute_name: 'id', attribute_category: 'product_attribute' }, within(2)),
    ];
    for (const a of cases) {
      expect(strategyOf(a)).toBe('observe');
      const want = expected(a);
      const { states } = await read(a, 'observe');
      // The scan narrows, so users whose events were all read but none counted come with an empty state.
      for (const [mpid, state] of states) expect(state).toEqual(want.get(mpid) ?? newState(a.definition));
      expect([...want.keys()].every((mpid) => states.has(mpid))).toBe(true);
    }
  });

  it('resumes after a user, either way', async () => {
    const a = attribute('count', { event_type: 'commerce_event', event_name: null, custom_event_type: 'purchase' });
    const all = [...expected(a)].filter(([mpid]) => BigInt(mpid) > 11n);
    for (const strategy of ['tally', 'observe'] as const) {
      const { users, states } = await read(a, strategy, parseMpid('11') as Mpid);
      expect([...states]).toEqual(all);
      expect(users).toBe(all.length);
    }
  });
});

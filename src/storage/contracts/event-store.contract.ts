import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storedEventsOf } from '../../analytics/event-row.ts';
import type { EventScan, EventStore, EventTally, ScannedEvent } from '../../analytics/event-store.ts';
import { inputId, parseMpid, workspaceId, type Mpid } from '../../kernel/ids.ts';
import type { Batch } from '../../model/batch.ts';
import { type LogRecord, withEdits, withText } from '../../model/envelope.ts';

/** A log record with every kind of event name and optional field the store derives columns from. */
export function logRecord(partition: number, offset: number, over: Partial<Batch> = {}, mpid = '42'): LogRecord {
  return {
    workspaceId: workspaceId(1),
    inputId: inputId(1),
    mpid: parseMpid(mpid) as Mpid,
    receivedAtMs: 1_700_000_000_456,
    channel: 'server_to_server',
    historical: false,
    ip: null,
    dedupKey: null,
    partition,
    offset,
    batch: {
      environment: 'production',
      source_request_id: `req-${offset}`,
      user_identities: { customer_id: 'c-1' },
      user_attributes: { plan: 'gold', tags: ['a', 'b'] },
      device_info: { platform: 'iOS' },
      events: [
        { event_type: 'custom_event', data: { event_name: `click ${offset}`, custom_event_type: 'navigation', timestamp_unixtime_ms: 1_700_000_000_123, session_uuid: 's-1', custom_attributes: { n: 1 } } },
        { event_type: 'screen_view', data: { screen_name: `home ${offset}`, source_message_id: 'm-1' } },
      ],
      ...over,
    },
  };
}

const ws = workspaceId(1);
const sortById = (a: { eventId: bigint }, b: { eventId: bigint }) => (a.eventId < b.eventId ? -1 : 1);

/** The event store contract, run against every adapter. */
export function eventStoreContract(name: string, open: (location: string) => Promise<EventStore>, newLocation: () => string) {
  describe(`EventStore contract: ${name}`, () => {
    let location: string;
    let store: EventStore;

    beforeEach(async () => {
      location = newLocation();
      store = await open(location);
    });
    afterEach(async () => {
      await store.close();
    });

    it('stores one row per event with exactly the columns storedEventsOf describes', async () => {
      const records = [
        logRecord(3, 17, {}, '-9223372036854775808'),
        logRecord(1, 18, {
          timestamp_unixtime_ms: 1_600_000_000_000,
          device_info: null,
          application_info: { os: 'Android' },
          environment: 'development',
          events: [
            { event_type: 'commerce_event', data: { product_action: { action: 'purchase', products: [] } } },
            { event_type: 'commerce_event', data: { promotion_action: { action: 'click', promotions: [] } } },
            { event_type: 'session_start', data: {} },
          ],
        }),
        logRecord(1, 19, { events: [] }),
      ];
      await store.append(records);
      const back = await store.list({ workspaceId: ws }, 100);
      expect(back).toEqual(records.flatMap(storedEventsOf).sort(sortById));
      expect(back.map((e) => e.eventName)).toEqual(['click 17', 'home 17', 'purchase', 'promotion_click', null]);
    });

    it('stores what a stage changed, not the text the record was read from', async () => {
      const original = withText(logRecord(0, 5), JSON.stringify(logRecord(0, 5)));
      const changed = { ...original, batch: { ...original.batch, events: original.batch.events.slice(1) } };
      await store.append([changed]);
      expect((await store.list({ workspaceId: ws }, 10)).map((e) => e.eventType)).toEqual(['screen_view']);
    });

    it('stores a changed record from its logged text and the edits a stage told, with the events\' logged indices', async () => {
      const three = logRecord(0, 7, {
        events: [...logRecord(0, 7).batch.events, { event_type: 'custom_event', data: { event_name: 'third', custom_event_type: 'other', custom_attributes: { x: 1, extra: true } } }],
      });
      const original = withText(three, JSON.stringify(three));
      const [, screen, third] = original.batch.events;
      const changed = withEdits(
        {
          ...original,
          batch: {
            ...original.batch,
            user_attributes: { plan: 'gold' },
            events: [
              { ...screen!, violations: [{ validation_error_type: 'unplanned', key: 'screen_name' }] },
              { ...third!, data: { ...third!.data, custom_attributes: { x: 1 } } },
            ],
          },
        },
        original,
        { eventIndex: [1, 2], changedData: new Set([1]), userAttributesChanged: true, userIdentitiesChanged: false },
      );
      await store.append([changed]);
      const back = await store.list({ workspaceId: ws }, 10);
      expect(back).toEqual(storedEventsOf(changed));
      expect(back.map((e) => [e.eventIndex, e.data.custom_attributes ?? null, e.violations?.length ?? 0, e.userAttributes])).toEqual([
        [1, null, 1, { plan: 'gold' }],
        [2, { x: 1 }, 0, { plan: 'gold' }],
      ]);
    });

    it('counts and lists by workspace, user and event type', async () => {
      await store.append([logRecord(0, 1, {}, '5'), logRecord(1, 2, {}, '6')]);
      expect(await store.count({ workspaceId: ws })).toBe(4);
      expect(await store.count({ workspaceId: workspaceId(2) })).toBe(0);
      expect(await store.count({ workspaceId: ws, mpid: parseMpid('5') as Mpid })).toBe(2);
      expect(await store.count({ workspaceId: ws, eventType: 'screen_view' })).toBe(2);
      expect((await store.list({ workspaceId: ws }, 3)).map((e) => e.eventName)).toEqual(['click 1', 'home 1', 'click 2']);
    });

    it('counts events and users by the inputs that sent them', async () => {
      await store.append([logRecord(0, 1, {}, '5'), { ...logRecord(1, 2, {}, '6'), inputId: inputId(7) }, { ...logRecord(1, 3, {}, '8'), inputId: inputId(7) }]);
      expect(await store.count({ workspaceId: ws, inputIds: [inputId(7)] })).toBe(4);
      expect(await store.count({ workspaceId: ws, inputIds: [inputId(7)], eventType: 'screen_view' })).toBe(2);
      expect(await store.count({ workspaceId: ws, inputIds: [inputId(7), inputId(1)] })).toBe(6);
      expect(await store.count({ workspaceId: ws, inputIds: [] })).toBe(0);
      expect(await store.userCount(ws, [inputId(7)])).toBe(2);
      expect(await store.userCount(ws, [])).toBe(0);
      expect(await store.userCount(ws)).toBe(3);
      expect((await store.list({ workspaceId: ws, inputIds: [inputId(7)] }, 10)).every((e) => e.inputId === inputId(7))).toBe(true);
    });

    it('truncates exactly what lies past an offset in one partition', async () => {
      await store.append([logRecord(0, 10), logRecord(0, 11), logRecord(1, 12)]);
      expect(await store.truncateAfter(0, 10)).toBe(2);
      const left = await store.list({ workspaceId: ws }, 10);
      expect(left.map((e) => [e.partition, e.logOffset])).toEqual([
        [0, 10],
        [0, 10],
        [1, 12],
        [1, 12],
      ]);
    });

    it('copies one user\'s events in a time range to another user, marked as aliased', async () => {
      const at = (offset: number, ts: number, mpid: string) =>
        logRecord(0, offset, { events: [{ event_type: 'screen_view', data: { screen_name: `s${offset}`, timestamp_unixtime_ms: ts } }] }, mpid);
      await store.append([at(1, 1000, '5'), at(2, 2000, '5'), at(3, 3000, '5'), at(4, 2000, '6')]);
      expect(await store.copyEvents(ws, parseMpid('5') as Mpid, parseMpid('7') as Mpid, 1500, 3000)).toBe(2);
      const copies = await store.list({ workspaceId: ws, mpid: parseMpid('7') as Mpid }, 10);
      expect(copies.map((e) => [e.eventName, e.aliasedFrom, e.mpid])).toEqual([
        ['s2', '5', '7'],
        ['s3', '5', '7'],
      ]);
      // Copies are not copied again.
      expect(await store.copyEvents(ws, parseMpid('7') as Mpid, parseMpid('8') as Mpid, 0, 5000)).toBe(0);
      expect(await store.count({ workspaceId: ws, mpid: parseMpid('5') as Mpid })).toBe(3);
    });

    it('scans a workspace\'s events by user, time and log position, by type, time and log position, without aliasing\'s copies', async () => {
      const at = (partition: number, offset: number, ts: number, mpid: string, type: 'screen_view' | 'session_start' = 'screen_view') =>
        logRecord(partition, offset, { events: [{ event_type: type, data: type === 'screen_view' ? { screen_name: `s${offset}`, timestamp_unixtime_ms: ts } : { timestamp_unixtime_ms: ts } }] }, mpid);
      await store.append([at(0, 1, 3000, '6'), at(0, 2, 1000, '6'), at(1, 3, 2000, '5'), at(1, 4, 2000, '5', 'session_start'), at(0, 5, 500, '6')]);
      await store.copyEvents(ws, parseMpid('5') as Mpid, parseMpid('6') as Mpid, 0, 5000);
      const scan = async (query: Omit<EventScan, 'workspaceId'>) => {
        const chunks: ScannedEvent[][] = [];
        await store.scan({ workspaceId: ws, ...query }, async (events) => void chunks.push(events));
        return chunks.flat().map((e) => [e.mpid, e.timestampMs, e.logOffset]);
      };
      expect(await scan({})).toEqual([
        ['5', 2000, 3],
        ['5', 2000, 4],
        ['6', 500, 5],
        ['6', 1000, 2],
        ['6', 3000, 1],
      ]);
      expect(await scan({ eventTypes: ['session_start'] })).toEqual([['5', 2000, 4]]);
      expect(await scan({ eventName: 's2' })).toEqual([['6', 1000, 2]]);
      expect(await scan({ sinceMs: 1000 })).toEqual([
        ['5', 2000, 3],
        ['5', 2000, 4],
        ['6', 1000, 2],
        ['6', 3000, 1],
      ]);
      expect(await scan({ upTo: new Map([[0, 2]]) })).toEqual([
        ['6', 1000, 2],
        ['6', 3000, 1],
      ]);
      expect(await scan({ upTo: new Map() })).toEqual([]);
      expect(await store.scanUsers({ workspaceId: ws })).toBe(2);
      expect(await store.scanUsers({ workspaceId: ws, upTo: new Map([[0, 2]]) })).toBe(1);
      expect(await store.scanUsers({ workspaceId: ws, eventTypes: [] })).toBe(0);
      const other: ScannedEvent[] = [];
      await store.scan({ workspaceId: workspaceId(2) }, async (events) => void other.push(...events));
      expect(other).toEqual([]);
    });

    it('scans and tallies users in numeric MPID order (not their text\'s), resuming after one', async () => {
      const at = (offset: number, mpid: string) => logRecord(0, offset, { events: [{ event_type: 'screen_view', data: { screen_name: 's', timestamp_unixtime_ms: 1000 + offset } }] }, mpid);
      await store.append([at(1, '-44'), at(2, '-78'), at(3, '5'), at(4, '-4461858181235106399'), at(5, '-7877008224965381245')]);
      const scanned = async (query: Omit<EventScan, 'workspaceId'>) => {
        const mpids: string[] = [];
        await store.scan({ workspaceId: ws, ...query }, async (events) => void mpids.push(...events.map((e) => e.mpid)));
        return mpids;
      };
      const numeric = ['-7877008224965381245', '-4461858181235106399', '-78', '-44', '5'];
      expect(await scanned({})).toEqual(numeric);
      expect(await scanned({ afterMpid: parseMpid('-78') as Mpid })).toEqual(['-44', '5']);
      const tallied: string[] = [];
      await store.tally({ workspaceId: ws }, undefined, async () => undefined, async (t) => void tallied.push(...t.map((x) => x.mpid)));
      expect(tallied).toEqual(numeric);
    });

    it('lists a workspace\'s users in MPID order, each with its latest batch\'s identities, in pages', async () => {
      const batch = (offset: number, mpid: string, identities: Record<string, string | null>, receivedAtMs: number) => ({
        ...logRecord(0, offset, { user_identities: identities }, mpid),
        receivedAtMs,
      });
      await store.append([
        batch(1, '42', { customer_id: 'old', email: 'a@example.com' }, 1000),
        batch(2, '-9', { customer_id: 'neg' }, 1000),
        batch(3, '42', { customer_id: 'new', email: null }, 2000),
        batch(4, '9223372036854775807', { email: 'max@example.com' }, 1000),
        // Numeric order, not text order: -78 before -44 (as text "-44" sorts first).
        batch(6, '-44', { customer_id: 'minus-44' }, 1000),
        batch(7, '-78', { customer_id: 'minus-78' }, 1000),
        { ...batch(5, '7', { customer_id: 'elsewhere' }, 1000), workspaceId: workspaceId(2) },
        // A batch without events makes its user one too.
        { ...logRecord(0, 8, { events: [], user_identities: { customer_id: 'quiet' } }, '5'), receivedAtMs: 1000 },
      ]);
      expect(await store.userCount(ws)).toBe(6);
      expect(await store.users(ws, null, 10)).toEqual([
        { mpid: '-78', identities: { customer_id: 'minus-78' } },
        { mpid: '-44', identities: { customer_id: 'minus-44' } },
        { mpid: '-9', identities: { customer_id: 'neg' } },
        { mpid: '5', identities: { customer_id: 'quiet' } },
        { mpid: '42', identities: { customer_id: 'new' } },
        { mpid: '9223372036854775807', identities: { email: 'max@example.com' } },
      ]);
      expect((await store.users(ws, null, 2)).map((u) => u.mpid)).toEqual(['-78', '-44']);
      expect((await store.users(ws, parseMpid('-44') as Mpid, 2)).map((u) => u.mpid)).toEqual(['-9', '5']);
      expect((await store.users(ws, parseMpid('42') as Mpid, 2)).map((u) => u.mpid)).toEqual(['9223372036854775807']);
      expect(await store.users(workspaceId(2), null, 10)).toEqual([{ mpid: '7', identities: { customer_id: 'elsewhere' } }]);
    });

    it('scans by string fields of the data (an AND of ORs, a missing field matching where asked) and resumes after a user', async () => {
      const commerce = (offset: number, mpid: string, data: Record<string, unknown>) =>
        logRecord(0, offset, { events: [{ event_type: 'commerce_event', data: { timestamp_unixtime_ms: 1000 + offset, ...data } }] }, mpid);
      await store.append([
        commerce(1, '5', { product_action: { action: 'purchase' } }),
        commerce(2, '5', { product_action: { action: 'purchase' }, event_name: 'Big buy' }),
        commerce(3, '6', { product_action: { action: 'add_to_cart' }, event_name: '' }),
        commerce(4, '6', { promotion_action: { action: 'click' }, event_name: 7 }),
        commerce(5, '7', { product_action: ['purchase'], event_name: 'Other' }),
        commerce(6, '7', { product_action: { action: 'purchase' }, event_name: 'Other' }),
      ]);
      const offsets = async (query: Omit<EventScan, 'workspaceId'>) => {
        const chunks: ScannedEvent[][] = [];
        await store.scan({ workspaceId: ws, ...query }, async (events) => void chunks.push(events));
        return chunks.flat().map((e) => e.logOffset);
      };
      const purchase = { path: ['product_action', 'action'], anyOf: ['purchase'] };
      const click = { path: ['promotion_action', 'action'], anyOf: ['click'] };
      const named = { path: ['event_name'], anyOf: ['Big buy'], orMissing: true };
      expect(await offsets({ dataFields: [[purchase]] })).toEqual([1, 2, 6]);
      expect(await offsets({ dataFields: [[purchase, click]] })).toEqual([1, 2, 4, 6]);
      // Missing, empty or not a string: the name does not count.
      expect(await offsets({ dataFields: [[named]] })).toEqual([1, 2, 3, 4]);
      expect(await offsets({ dataFields: [[named], [purchase, click]] })).toEqual([1, 2, 4]);
      expect(await offsets({ dataFields: [[{ ...purchase, anyOf: [] }]] })).toEqual([]);
      expect(await offsets({ afterMpid: parseMpid('5') as Mpid })).toEqual([3, 4, 5, 6]);
      expect(await store.scanUsers({ workspaceId: ws, dataFields: [[purchase]], afterMpid: parseMpid('5') as Mpid })).toBe(1);
      await expect(offsets({ dataFields: [[{ path: ["x') OR ('1"], anyOf: ['y'] }]] })).rejects.toThrow(/data field path/);
    });

    it('tallies what a scan selects per user and time bucket: how many, first and last time; the users first', async () => {
      const at = (offset: number, ts: number, mpid: string) =>
        logRecord(0, offset, { events: [{ event_type: 'screen_view', data: { screen_name: 'Home', timestamp_unixtime_ms: ts } }] }, mpid);
      await store.append([at(1, 1500, '6'), at(2, 1200, '6'), at(3, 3100, '6'), at(4, 2000, '-5'), at(5, 9000, '8')]);
      const tally = async (query: Omit<EventScan, 'workspaceId'>, bucketMs?: number) => {
        const got: { users?: number; tallies: EventTally[] } = { tallies: [] };
        await store.tally(
          { workspaceId: ws, ...query },
          bucketMs,
          async (users) => {
            expect(got.tallies).toEqual([]);
            got.users = users;
          },
          async (tallies) => void got.tallies.push(...tallies),
        );
        return got;
      };
      expect(await tally({ upTo: new Map([[0, 4]]) }, 1000)).toEqual({
        users: 2,
        tallies: [
          { mpid: '-5', bucketStartMs: 2000, events: 1, firstMs: 2000, lastMs: 2000 },
          { mpid: '6', bucketStartMs: 1000, events: 2, firstMs: 1200, lastMs: 1500 },
          { mpid: '6', bucketStartMs: 3000, events: 1, firstMs: 3100, lastMs: 3100 },
        ],
      });
      expect(await tally({ eventName: 'Home', afterMpid: parseMpid('-5') as Mpid })).toEqual({
        users: 2,
        tallies: [
          { mpid: '6', bucketStartMs: null, events: 3, firstMs: 1200, lastMs: 3100 },
          { mpid: '8', bucketStartMs: null, events: 1, firstMs: 9000, lastMs: 9000 },
        ],
      });
      expect(await tally({ eventTypes: [] })).toEqual({ users: 0, tallies: [] });
    });

    it("keeps one row of calculated values per user: the last put wins", async () => {
      const ada = parseMpid('42') as Mpid;
      const bob = parseMpid('-7') as Mpid;
      const row = (mpid: Mpid, values: Record<string, string | string[]>, asOfMs = 1000) => ({ workspaceId: ws, mpid, values, asOfMs });
      await store.putCalculatedValues([row(ada, { purchases: '3', tags: ['a', 'b'] }), row(bob, { purchases: '1' })]);
      await store.putCalculatedValues([row(ada, { purchases: '4' }, 2000), row(ada, { purchases: '5' }, 2000)]);
      expect(await store.calculatedValues(ws, ada)).toEqual(row(ada, { purchases: '5' }, 2000));
      expect(await store.calculatedValues(ws, bob)).toEqual(row(bob, { purchases: '1' }));
      expect(await store.calculatedValues(workspaceId(2), ada)).toBeUndefined();
      await store.putCalculatedValues([]);
      expect(await store.calculatedValues(ws, bob)).toEqual(row(bob, { purchases: '1' }));
    });

    it("erases one user's events, batches and calculated values, and nothing of another user or workspace", async () => {
      const [gone, stays] = [parseMpid('-9223372036854775808') as Mpid, parseMpid('42') as Mpid];
      const elsewhere = { ...logRecord(0, 3, {}, gone), workspaceId: workspaceId(2) };
      await store.append([logRecord(0, 1, {}, gone), logRecord(0, 2, {}, stays), elsewhere, logRecord(1, 4, { events: [] }, gone)]);
      await store.copyEvents(ws, stays, gone, 0, 2_000_000_000_000);
      await store.copyEvents(ws, gone, stays, 0, 2_000_000_000_000);
      const values = (w: typeof ws, mpid: Mpid) => ({ workspaceId: w, mpid, values: { tier: 'gold' }, asOfMs: 1 });
      await store.putCalculatedValues([values(ws, gone), values(ws, stays), values(workspaceId(2), gone)]);

      // 2 events, 2 copies of the other user's and 2 copies of them, 2 batches (one without events), 1 row of values.
      expect(await store.eraseUsers(ws, [gone])).toBe(9);

      expect(await store.count({ workspaceId: ws, mpid: gone })).toBe(0);
      expect(await store.list({ workspaceId: ws, mpid: gone }, 10)).toEqual([]);
      expect(await store.calculatedValues(ws, gone)).toBeUndefined();
      expect((await store.users(ws, null, 10)).map((u) => u.mpid)).toEqual([stays]);
      // The other user keeps their own events, not the copies aliasing made of the erased user's.
      expect((await store.list({ workspaceId: ws, mpid: stays }, 10)).map((e) => [e.logOffset, e.aliasedFrom])).toEqual([[2, null], [2, null]]);
      expect(await store.count({ workspaceId: ws, mpid: stays })).toBe(2);
      expect(await store.calculatedValues(ws, stays)).toEqual(values(ws, stays));
      expect(await store.count({ workspaceId: workspaceId(2), mpid: gone })).toBe(2);
      expect(await store.userCount(workspaceId(2))).toBe(1);
      expect(await store.calculatedValues(workspaceId(2), gone)).toEqual(values(workspaceId(2), gone));
      await store.close();
      store = await open(location);
      expect(await store.count({ workspaceId: ws, mpid: gone })).toBe(0);
      expect(await store.eraseUsers(ws, [gone])).toBe(0);
      expect(await store.eraseUsers(ws, [parseMpid('7') as Mpid])).toBe(0);
    });

    it('erases many users at once, and nobody else', async () => {
      const [a, b, c] = ['1', '-2', '3'].map((m) => parseMpid(m) as Mpid);
      await store.append([logRecord(0, 1, {}, a!), logRecord(0, 2, {}, b!), logRecord(0, 3, {}, c!)]);
      const events = (await store.count({ workspaceId: ws, mpid: a! })) + (await store.count({ workspaceId: ws, mpid: b! }));
      // Their events and their two batches.
      expect(await store.eraseUsers(ws, [a!, b!])).toBe(events + 2);
      expect((await store.users(ws, null, 10)).map((u) => u.mpid)).toEqual([c]);
      expect(await store.eraseUsers(ws, [])).toBe(0);
    });

    it('clears everything and keeps data across a reopen', async () => {
      await store.append([logRecord(0, 1)]);
      const mpid = parseMpid('42') as Mpid;
      await store.putCalculatedValues([{ workspaceId: ws, mpid, values: { n: '1' }, asOfMs: 1 }]);
      await store.close();
      store = await open(location);
      expect(await store.count({ workspaceId: ws })).toBe(2);
      expect((await store.calculatedValues(ws, mpid))?.values).toEqual({ n: '1' });
      await store.clear();
      expect(await store.count({ workspaceId: ws })).toBe(0);
      expect(await store.calculatedValues(ws, mpid)).toBeUndefined();
    });
  });
}

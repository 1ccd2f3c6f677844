import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore, StoredEvent } from '../../analytics/event-store.ts';
import { eventIdOf } from '../../analytics/event-row.ts';
import { inputId, parseMpid, workspaceId, type Mpid } from '../../kernel/ids.ts';

export function storedEvent(partition: number, offset: number, index: number, mpid = '42'): StoredEvent {
  return {
    eventId: eventIdOf(offset, index),
    workspaceId: workspaceId(1),
    inputId: inputId(1),
    partition,
    logOffset: offset,
    eventIndex: index,
    mpid: parseMpid(mpid) as Mpid,
    environment: 'production',
    eventType: index % 2 === 0 ? 'custom_event' : 'screen_view',
    eventName: `event ${offset}.${index}`,
    customEventType: index % 2 === 0 ? 'navigation' : null,
    timestampMs: 1_700_000_000_123,
    receivedAtMs: 1_700_000_000_456,
    sessionUuid: 's-1',
    sourceMessageId: null,
    sourceRequestId: `req-${offset}`,
    platform: 'iOS',
    data: { event_name: `event ${offset}.${index}`, custom_attributes: { n: index } },
    userAttributes: { plan: 'gold', tags: ['a', 'b'] },
    userIdentities: { customer_id: 'c-1' },
    deviceInfo: { platform: 'iOS' },
    applicationInfo: null,
  };
}

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

    it('stores every column and reads it back exactly, 64-bit mpids included', async () => {
      const e = storedEvent(3, 17, 0, '-9223372036854775808');
      await store.append([e]);
      const [back] = await store.list({ workspaceId: workspaceId(1) }, 10);
      expect(back).toEqual(e);
    });

    it('counts and lists by workspace, user and event type', async () => {
      await store.append([storedEvent(0, 1, 0, '5'), storedEvent(0, 1, 1, '5'), storedEvent(1, 2, 0, '6')]);
      const ws = workspaceId(1);
      expect(await store.count({ workspaceId: ws })).toBe(3);
      expect(await store.count({ workspaceId: workspaceId(2) })).toBe(0);
      expect(await store.count({ workspaceId: ws, mpid: parseMpid('5') as Mpid })).toBe(2);
      expect(await store.count({ workspaceId: ws, eventType: 'screen_view' })).toBe(1);
      expect((await store.list({ workspaceId: ws }, 2)).map((e) => e.eventName)).toEqual(['event 1.0', 'event 1.1']);
    });

    it('truncates exactly what lies past an offset in one partition', async () => {
      await store.append([storedEvent(0, 10, 0), storedEvent(0, 11, 0), storedEvent(0, 11, 1), storedEvent(1, 12, 0)]);
      expect(await store.truncateAfter(0, 10)).toBe(2);
      const left = await store.list({ workspaceId: workspaceId(1) }, 10);
      expect(left.map((e) => [e.partition, e.logOffset])).toEqual([
        [0, 10],
        [1, 12],
      ]);
    });

    it('clears everything and keeps data across a reopen', async () => {
      await store.append([storedEvent(0, 1, 0)]);
      await store.close();
      store = await open(location);
      expect(await store.count({ workspaceId: workspaceId(1) })).toBe(1);
      await store.clear();
      expect(await store.count({ workspaceId: workspaceId(1) })).toBe(0);
    });
  });
}

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchCursor, EventStore, StoredBatch } from '../../analytics/event-store.ts';
import { type Mpid, workspaceId } from '../../kernel/ids.ts';
import { parseJsonLossless } from '../../kernel/lossless-json.ts';
import { withEdits, withText } from '../../model/envelope.ts';
import { logRecord } from './event-store.contract.ts';

const ws = workspaceId(1);
const BIG = '-9223372036854775808' as Mpid;

/** Every batch of a user, a page of `limit` at a time. */
async function allBatches(store: EventStore, mpid: Mpid, limit: number): Promise<StoredBatch[][]> {
  const pages: StoredBatch[][] = [];
  let after: BatchCursor | null = null;
  for (;;) {
    const page = await store.batchesOf(ws, mpid, after, limit);
    if (page.length === 0) return pages;
    pages.push(page);
    const last = page.at(-1)!;
    after = { partition: last.partition, logOffset: last.logOffset };
  }
}

/** The event store's reads of one user's batches (`batchesOf`, for access requests), run against every adapter. */
export function eventStoreBatchesContract(name: string, open: (location: string) => Promise<EventStore>, newLocation: () => string) {
  describe(`EventStore batchesOf contract: ${name}`, () => {
    let store: EventStore;

    beforeEach(async () => {
      store = await open(newLocation());
    });
    afterEach(async () => {
      await store.close();
    });

    it('gives each of a user\'s batches in the JSON batch format, every field it was sent with, its MPID and big numbers exact', async () => {
      const record = logRecord(2, 10, {
        application_info: { application_name: 'shop' },
        consent_state: { gdpr: { marketing: { consented: true, timestamp_unixtime_ms: 1 } } },
        ip: '203.0.113.9',
        timestamp_unixtime_ms: 1_700_000_000_000,
        mp_deviceid: 'dev-1',
        context: { data_plan: { plan_id: 'shop', plan_version: 2 } },
        user_attributes: { plan: 'gold', gone: null },
        events: [{ event_type: 'custom_event', data: { event_name: 'big', custom_event_type: 'other', event_id: 1 } }],
      }, BIG);
      // The log's text holds a 64-bit event id, which no JavaScript number does.
      await store.append([withText(record, JSON.stringify(record).replace('"event_id":1', '"event_id":6004677780660780001'))]);
      const [batch] = await store.batchesOf(ws, BIG, null, 10);
      expect(batch).toMatchObject({ partition: 2, logOffset: 10, receivedAtMs: record.receivedAtMs });
      expect(batch!.json).toContain(`"mpid":${BIG}`);
      expect(batch!.json).toContain('"event_id":6004677780660780001');
      expect(parseJsonLossless(batch!.json.replace('6004677780660780001', '1'))).toEqual({
        events: [{ event_type: 'custom_event', data: { event_name: 'big', custom_event_type: 'other', event_id: 1 } }],
        device_info: { platform: 'iOS' },
        application_info: { application_name: 'shop' },
        user_attributes: { plan: 'gold', gone: null },
        user_identities: { customer_id: 'c-1' },
        consent_state: { gdpr: { marketing: { consented: true, timestamp_unixtime_ms: 1 } } },
        source_request_id: 'req-10',
        mpid: BIG,
        environment: 'production',
        timestamp_unixtime_ms: 1_700_000_000_000,
        ip: '203.0.113.9',
        mp_deviceid: 'dev-1',
        context: { data_plan: { plan_id: 'shop', plan_version: 2 } },
      });
    });

    it('gives the address the batch came from as its ip when the batch names none', async () => {
      await store.append([{ ...logRecord(0, 1, {}, '7'), ip: '198.51.100.7' }, { ...logRecord(0, 2, { ip: '203.0.113.9' }, '7'), ip: '198.51.100.7' }]);
      const ips = (await store.batchesOf(ws, '7' as Mpid, null, 10)).map((b) => (parseJsonLossless(b.json) as { ip?: string }).ip);
      expect(ips).toEqual(['198.51.100.7', '203.0.113.9']);
    });

    it('pages through one user\'s batches in log order, batches without events included, no other user\'s or workspace\'s', async () => {
      const mine = [5, 1, 3, 2, 4].map((offset) => logRecord(0, offset, offset === 3 ? { events: [] } : {}, '7'));
      const other = { ...logRecord(0, 6, {}, '7'), workspaceId: workspaceId(2) };
      await store.append([...mine, logRecord(0, 7, {}, '8'), other]);
      const pages = await allBatches(store, '7' as Mpid, 2);
      expect(pages.map((p) => p.map((b) => b.logOffset))).toEqual([[1, 2], [3, 4], [5]]);
      const third = parseJsonLossless(pages[1]![0]!.json) as { events: unknown[]; source_request_id: string };
      expect(third).toMatchObject({ events: [], source_request_id: 'req-3' });
      const first = parseJsonLossless(pages[0]![0]!.json) as { events: { event_type: string; data: { event_name?: string; screen_name?: string } }[] };
      expect(first.events.map((e) => [e.event_type, e.data.event_name ?? e.data.screen_name])).toEqual([
        ['custom_event', 'click 1'],
        ['screen_view', 'home 1'],
      ]);
      expect(await store.batchesOf(ws, '9' as Mpid, null, 10)).toEqual([]);
    });

    it('lists the events a stage kept, not aliasing\'s copies of another user\'s events', async () => {
      const original = withText(logRecord(0, 1, {}, '7'), JSON.stringify(logRecord(0, 1, {}, '7')));
      const kept = withEdits(
        { ...original, batch: { ...original.batch, events: original.batch.events.slice(1) } },
        original,
        { eventIndex: [1], changedData: new Set(), userAttributesChanged: false, userIdentitiesChanged: false },
      );
      await store.append([kept, logRecord(0, 2, {}, '8')]);
      await store.copyEvents(ws, '8' as Mpid, '7' as Mpid, 0, Number.MAX_SAFE_INTEGER);
      const batches = await store.batchesOf(ws, '7' as Mpid, null, 10);
      expect(batches.map((b) => (parseJsonLossless(b.json) as { events: { event_type: string }[] }).events.map((e) => e.event_type))).toEqual([['screen_view']]);
    });

    it('gives nothing of a user once erased', async () => {
      await store.append([logRecord(0, 1, {}, '7'), logRecord(0, 2, {}, '8')]);
      await store.eraseUsers(ws, ['7' as Mpid]);
      expect(await store.batchesOf(ws, '7' as Mpid, null, 10)).toEqual([]);
      expect(await store.batchesOf(ws, '8' as Mpid, null, 10)).toHaveLength(1);
    });
  });
}

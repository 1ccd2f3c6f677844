import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inputId, parseMpid, workspaceId, type Mpid } from '../../kernel/ids.ts';
import type { Envelope } from '../../model/envelope.ts';
import { type EventLog, partitionOf } from '../../pipeline/event-log.ts';

export function envelope(mpid: string, n: number, dedupKey: string | null = null): Envelope {
  return {
    workspaceId: workspaceId(1),
    inputId: inputId(1),
    mpid: parseMpid(mpid) as Mpid,
    receivedAtMs: 1_700_000_000_000 + n,
    channel: 'server_to_server',
    historical: false,
    ip: '127.0.0.1',
    dedupKey,
    batch: {
      environment: 'production',
      user_identities: {},
      user_attributes: {},
      events: [{ event_type: 'custom_event', data: { event_name: `e${n}`, custom_event_type: 'other' } }],
    },
  };
}

/**
 * The event log contract. Every adapter runs this suite with a factory that opens a log at a
 * location (the same location twice means "reopen": data must survive).
 */
export function eventLogContract(name: string, open: (location: string) => Promise<EventLog>, newLocation: () => string) {
  describe(`EventLog contract: ${name}`, () => {
    let location: string;
    let log: EventLog;

    beforeEach(async () => {
      location = newLocation();
      log = await open(location);
    });
    afterEach(async () => {
      await log.close();
    });

    it('keeps one user in one partition, in append order, with growing offsets', async () => {
      const mpid = '-9000000000000000001';
      for (let i = 0; i < 5; i++) await log.append([envelope(mpid, i)]);
      const p = partitionOf(1, mpid, log.partitionCount);
      const records = await log.read(p, 0, 100);
      expect(records.map((r) => r.batch.events[0]!.data.event_name)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
      expect(records.every((r) => r.partition === p && r.mpid === mpid)).toBe(true);
      const offsets = records.map((r) => r.offset);
      expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
      expect(new Set(offsets).size).toBe(5);
      expect(await log.read(p, offsets[2]!, 100)).toHaveLength(2);
      expect(await log.read(p, 0, 2)).toHaveLength(2);
    });

    it('appends concurrent calls, each resolving with its own outcomes', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => log.append([envelope(String(i + 1), i), envelope(String(i + 1), i + 100)])),
      );
      expect(results.flat()).toHaveLength(40);
      expect(results.flat().every((r) => !r.duplicate)).toBe(true);
      let total = 0;
      for (let p = 0; p < log.partitionCount; p++) total += (await log.read(p, 0, 1000)).length;
      expect(total).toBe(40);
    });

    it('does not append a dedup key twice, also within one call', async () => {
      const [first] = await log.append([envelope('7', 1, '1:req-1')]);
      expect(first).toMatchObject({ duplicate: false });
      const again = await log.append([envelope('7', 2, '1:req-1'), envelope('7', 3, '1:req-2'), envelope('7', 4, '1:req-2')]);
      expect(again.map((o) => o.duplicate)).toEqual([true, false, true]);
      const p = partitionOf(1, '7', log.partitionCount);
      expect((await log.read(p, 0, 10)).map((r) => r.batch.events[0]!.data.event_name)).toEqual(['e1', 'e3']);
    });

    it('commits offsets per consumer and partition, and reports lag', async () => {
      const [a] = await log.append([envelope('11', 1)]);
      await log.append([envelope('11', 2)]);
      if (a?.duplicate !== false) throw new Error('expected an append');
      expect(await log.committed('c1', a.partition)).toBe(0);
      expect(await log.lag('c1')).toBe(2);
      await log.commit('c1', a.partition, a.offset);
      expect(await log.committed('c1', a.partition)).toBe(a.offset);
      expect(await log.committed('c2', a.partition)).toBe(0);
      expect(await log.lag('c1')).toBe(1);
      expect(await log.lag('c2')).toBe(2);
    });

    it('tells listeners which partitions grew', async () => {
      const seen: number[] = [];
      const off = log.onAppend((ps) => seen.push(...ps));
      await log.append([envelope('12', 1)]);
      off();
      await log.append([envelope('12', 2)]);
      expect(seen).toEqual([partitionOf(1, '12', log.partitionCount)]);
    });

    it('keeps records, exact mpids and offsets across a reopen', async () => {
      const big = '9223372036854775807';
      const [r] = await log.append([envelope(big, 1, '1:x')]);
      if (r?.duplicate !== false) throw new Error('expected an append');
      await log.commit('c', r.partition, r.offset);
      await log.close();
      log = await open(location);
      const records = await log.read(r.partition, 0, 10);
      expect(records).toHaveLength(1);
      expect(records[0]!.mpid).toBe(big);
      expect(records[0]!.batch.events[0]!.data.event_name).toBe('e1');
      expect(await log.committed('c', r.partition)).toBe(r.offset);
      expect((await log.append([envelope(big, 2, '1:x')]))[0]).toEqual({ duplicate: true });
    });

    it("tombstones a user: deletes the user's records and nobody else's, durably", async () => {
      const erased = parseMpid('21') as Mpid;
      await log.append([envelope('21', 1), envelope('22', 2), envelope('21', 3)]);
      const other = { ...envelope('21', 4), workspaceId: workspaceId(2) };
      await log.append([other]);
      expect(await log.tombstone([{ workspaceId: workspaceId(1), mpid: erased }])).toBe(2);
      const all = async () => {
        const records = [];
        for (let p = 0; p < log.partitionCount; p++) records.push(...(await log.read(p, 0, 100)));
        return records.map((r) => `${r.workspaceId}:${r.mpid}:${r.batch.events[0]!.data.event_name}`).sort();
      };
      expect(await all()).toEqual(['1:22:e2', '2:21:e4']);
      await log.close();
      log = await open(location);
      expect(await all()).toEqual(['1:22:e2', '2:21:e4']);
      const [t] = await log.tombstones();
      expect(await log.tombstones()).toHaveLength(1);
      expect(t).toMatchObject({ workspaceId: 1, mpid: '21' });
      expect(t!.offset).toBeGreaterThanOrEqual(4);
    });

    it('tombstones again idempotently: the offset moves on and what was appended since goes', async () => {
      const u = { workspaceId: workspaceId(1), mpid: parseMpid('31') as Mpid };
      await log.append([envelope('31', 1)]);
      expect(await log.tombstone([u])).toBe(1);
      const [first] = await log.tombstones();
      const [late] = await log.append([envelope('31', 2)]);
      expect(await log.tombstone([u, u])).toBe(1);
      const [second] = await log.tombstones();
      expect(second!.offset).toBeGreaterThan(first!.offset);
      expect(second!.offset).toBeGreaterThanOrEqual((late as { offset: number }).offset);
      expect(await log.read(partitionOf(1, '31', log.partitionCount), 0, 10)).toEqual([]);
      expect(await log.tombstone([])).toBe(0);
    });

    it('writes a tombstone after the appends queued before it', async () => {
      const u = { workspaceId: workspaceId(1), mpid: parseMpid('41') as Mpid };
      const appended = log.append([envelope('41', 1)]);
      const erased = log.tombstone([u]);
      await appended;
      expect(await erased).toBe(1);
      expect(await log.read(partitionOf(1, '41', log.partitionCount), 0, 10)).toEqual([]);
    });
  });
}

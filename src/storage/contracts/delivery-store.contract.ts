import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryStore, StreamAppend } from '../../connections/delivery-store.ts';
import type { StreamBatch } from '../../connections/stream-batch.ts';
import { inputId, type Mpid, parseMpid, workspaceId } from '../../kernel/ids.ts';
import { stringifyLossless } from '../../kernel/lossless-json.ts';

const ws = workspaceId(1);
const other = workspaceId(2);
const alice = parseMpid('-9000000000000000001')!;
const bob = parseMpid('4000000000000000002')!;

/** A processed batch of the log's partition 0 at `offset`, received at `offset` seconds. */
const row = (offset: number, extra: { ws?: typeof ws; mpid?: Mpid; partition?: number } = {}): StreamAppend => {
  const mpid = extra.mpid ?? alice;
  const batch = { events: [{ event_type: 'custom_event', data: { event_name: `e${offset}` } }], environment: 'production', user_identities: {}, user_attributes: {}, mpid };
  return {
    workspaceId: extra.ws ?? ws,
    inputId: inputId(1),
    mpid,
    receivedAtMs: offset * 1000,
    logPartition: extra.partition ?? 0,
    logOffset: offset,
    batch: stringifyLossless(batch),
  };
};
const zero = { sent: 0, filtered: 0, failed: 0, retried: 0, dead_lettered: 0 };

/** The contract every delivery store adapter passes: the stream, cursors and dead letters. */
export function deliveryStoreContract(engine: string, open: (file: string) => Promise<DeliveryStore>, newFile: () => string): void {
  describe(`DeliveryStore contract (${engine})`, () => {
    let file: string;
    let store: DeliveryStore;
    beforeEach(async () => {
      file = newFile();
      store = await open(file);
    });
    afterEach(async () => {
      await store.close();
    });

    it('appends each log place once (a re-run after a crash adds nothing) and reads a workspace after a seq, in order', async () => {
      await store.append([row(1), row(2, { ws: other }), row(3, { mpid: bob })]);
      await store.append([row(3, { mpid: bob }), row(4)]);
      expect(await store.endSeq()).toBe(4);
      const read = await store.read(ws, 0, 10);
      expect(read.map((b) => [b.seq, b.mpid, b.batch.events[0]!.data.event_name])).toEqual([
        [1, alice, 'e1'],
        [3, bob, 'e3'],
        [4, alice, 'e4'],
      ]);
      expect(read[0]).toMatchObject({ workspaceId: ws, inputId: 1, receivedAtMs: 1000, batch: { mpid: alice, environment: 'production' } });
      // The JSON as appended, its MPID an exact number, for outputs that send it unchanged.
      expect(read[0]!.text).toMatch(/"mpid":-9000000000000000001[,}]/);
      expect((await store.read(ws, 1, 1)).map((b) => b.seq)).toEqual([3]);
      expect((await store.read(other, 0, 10)).map((b) => b.seq)).toEqual([2]);
      // The same offset of another partition is another batch.
      await store.append([row(1, { partition: 1 })]);
      expect(await store.endSeq()).toBe(5);
    });

    it('finds where a backfill starts: the seq before the first batch received at or after a time', async () => {
      await store.append([row(1), row(5), row(9)]);
      expect(await store.seqBefore(0)).toBe(0);
      expect(await store.seqBefore(5000)).toBe(1);
      expect(await store.seqBefore(6000)).toBe(2);
      expect(await store.seqBefore(10_000)).toBe(3);
    });

    it('keeps a cursor with its claim, counts, last error and dead letters, committed together', async () => {
      await store.append([row(1), row(2), row(3)]);
      expect(await store.peekCursor(7)).toBeUndefined();
      const fresh = await store.cursor(7, 1);
      expect(await store.peekCursor(7)).toEqual(fresh);
      expect(fresh).toEqual({ committed: 1, claimed: 1, ...zero, lastError: null });
      // A second ask does not move it.
      expect((await store.cursor(7, 3)).committed).toBe(1);
      await store.claim(7, 3);
      expect(await store.cursor(7, 0)).toMatchObject({ committed: 1, claimed: 3 });
      const [b2] = await store.read(ws, 1, 1);
      await store.commit(7, {
        workspaceId: ws,
        end: 3,
        counts: { sent: 1, filtered: 0, failed: 2, retried: 1, dead_lettered: 1 },
        lastError: { atMs: 50, message: 'answered 400' },
        deadLetters: [{ key: '7-2-2', batches: [b2!], changes: [], error: 'answered 400', attempts: 1, createdAtMs: 50 }],
      });
      expect(await store.cursor(7, 0)).toEqual({
        committed: 3,
        claimed: 3,
        sent: 1,
        filtered: 0,
        failed: 2,
        retried: 1,
        dead_lettered: 1,
        lastError: { atMs: 50, message: 'answered 400' },
      });
      await store.commit(7, { workspaceId: ws, end: 3, counts: { ...zero, sent: 1 }, lastError: null, deadLetters: [] });
      expect((await store.cursor(7, 0)).lastError).toEqual({ atMs: 50, message: 'answered 400' });
      const letters = await store.deadLetters(7, 10);
      expect(letters).toEqual([{ id: expect.any(Number), connectionId: 7, key: '7-2-2', batches: [b2], changes: [], error: 'answered 400', attempts: 1, createdAtMs: 50 }]);
      expect(await store.deadLetters(8, 10)).toEqual([]);
    });

    it('counts what waits for a cursor, with the oldest batch\'s receive time', async () => {
      await store.append([row(1), row(2, { ws: other }), row(3)]);
      expect(await store.pending(ws, 0)).toEqual({ count: 2, oldestReceivedAtMs: 1000 });
      expect(await store.pending(ws, 1)).toEqual({ count: 1, oldestReceivedAtMs: 3000 });
      expect(await store.pending(ws, 3)).toEqual({ count: 0, oldestReceivedAtMs: null });
    });

    it('replays dead letters by id: a delivered one goes and counts as sent, a failed one records the try', async () => {
      await store.append([row(1), row(2)]);
      await store.cursor(7, 0);
      const batches = await store.read(ws, 0, 10);
      await store.commit(7, {
        workspaceId: ws,
        end: 2,
        counts: { ...zero, dead_lettered: 2 },
        lastError: null,
        deadLetters: batches.map((b) => ({ key: `7-${b.seq}-${b.seq}`, batches: [b], changes: [], error: 'down', attempts: 3, createdAtMs: 1 })),
      });
      const [first, second] = await store.deadLetters(7, 10);
      expect((await store.deadLettersById(7, [second!.id])).map((d) => d.key)).toEqual(['7-2-2']);
      expect((await store.deadLettersById(7)).map((d) => d.key)).toEqual(['7-1-1', '7-2-2']);
      expect(await store.deadLettersById(8)).toEqual([]);
      await store.resolveDeadLetter(7, first!.id);
      await store.failDeadLetter(7, second!.id, 'still down', 99);
      expect(await store.deadLetters(7, 10)).toEqual([expect.objectContaining({ id: second!.id, attempts: 4, error: 'still down' })]);
      expect(await store.cursor(7, 0)).toMatchObject({ sent: 1, dead_lettered: 1, failed: 1, lastError: { atMs: 99, message: 'still down' } });
      expect((await store.deadLetters(7, 1, first!.id)).map((d) => d.id)).toEqual([second!.id]);
    });

    it('prunes only batches older than the cut that every cursor has passed, and seqs are never reused', async () => {
      await store.append([row(1), row(2), row(3)]);
      await store.cursor(7, 2);
      await store.cursor(8, 3);
      expect(await store.prune(10_000)).toBe(2);
      expect((await store.read(ws, 0, 10)).map((b) => b.seq)).toEqual([3]);
      await store.dropConnection(7);
      expect(await store.prune(2500)).toBe(0);
      expect(await store.prune(10_000)).toBe(1);
      expect(await store.endSeq()).toBe(3);
      await store.append([row(4)]);
      expect((await store.read(ws, 0, 10)).map((b) => b.seq)).toEqual([4]);
    });

    it('forgets a deleted connection: its cursor and dead letters', async () => {
      await store.append([row(1)]);
      await store.cursor(7, 0);
      const [b] = await store.read(ws, 0, 1);
      await store.commit(7, { workspaceId: ws, end: 1, counts: { ...zero, sent: 1 }, lastError: null, deadLetters: [{ key: 'k', batches: [], changes: [{ audienceId: 3, audienceName: 'Gold', mpid: b!.mpid, change: 'added', atMs: 1, identities: {} }], error: 'x', attempts: 1, createdAtMs: 1 }] });
      expect((await store.deadLetters(7, 10))[0]!.changes).toEqual([{ audienceId: 3, audienceName: 'Gold', mpid: b!.mpid, change: 'added', atMs: 1, identities: {} }]);
      await store.dropConnection(7);
      expect(await store.deadLetters(7, 10)).toEqual([]);
      expect(await store.cursor(7, 0)).toMatchObject({ committed: 0, sent: 0 });
    });

    it("erases a user's stream batches and dead-lettered batches and changes, and nothing of another user or workspace", async () => {
      await store.append([row(1), row(2, { mpid: bob }), row(3, { ws: other }), row(4)]);
      await store.cursor(7, 0);
      await store.cursor(8, -1);
      const [a1, b2, a4] = await store.read(ws, 0, 10);
      const [o3] = await store.read(other, 0, 10);
      const letter = (key: string, batches: StreamBatch[]) => ({ key, batches, changes: [], error: 'down', attempts: 1, createdAtMs: 1 });
      await store.commit(7, { workspaceId: ws, end: 4, counts: { ...zero, dead_lettered: 3 }, lastError: null, deadLetters: [letter('7-1-2', [a1!, b2!]), letter('7-4-4', [a4!])] });
      const change = (mpid: Mpid) => ({ audienceId: 3, audienceName: 'Gold', mpid, change: 'added' as const, atMs: 1, identities: { email: `${mpid}@example.com` } });
      await store.commit(8, { workspaceId: ws, end: 2, counts: { ...zero, dead_lettered: 2 }, lastError: null, deadLetters: [{ ...letter('8-c1-2', []), changes: [change(alice), change(bob)] }] });
      // Another workspace's connection: its user of the same MPID is someone else.
      await store.cursor(9, 0);
      await store.commit(9, { workspaceId: other, end: 3, counts: { ...zero, dead_lettered: 2 }, lastError: null, deadLetters: [letter('9-3-3', [o3!]), { ...letter('9-c1-1', []), changes: [change(alice)] }] });

      // Stream batches 1 and 4; dead-lettered batches 1 and 4; one change; nothing of the unknown user.
      expect(await store.eraseUsers(ws, [alice, parseMpid('5')!])).toBe(5);

      expect((await store.read(ws, 0, 10)).map((b) => [b.seq, b.mpid])).toEqual([[2, bob]]);
      expect((await store.read(other, 0, 10)).map((b) => [b.seq, b.mpid])).toEqual([[3, alice]]);
      expect((await store.deadLetters(7, 10)).map((d) => [d.key, d.batches.map((b) => b.seq)])).toEqual([['7-1-2', [2]]]);
      expect((await store.deadLetters(8, 10)).map((d) => [d.key, d.changes.map((c) => c.mpid)])).toEqual([['8-c1-2', [bob]]]);
      expect((await store.deadLetters(9, 10)).map((d) => d.key)).toEqual(['9-3-3', '9-c1-1']);
      expect((await store.cursor(7, 0)).dead_lettered).toBe(1);
      expect((await store.cursor(8, 0)).dead_lettered).toBe(1);
      expect((await store.cursor(9, 0)).dead_lettered).toBe(2);
      expect(await store.pending(ws, 0)).toEqual({ count: 1, oldestReceivedAtMs: 2000 });
      // What is left of a rewritten dead letter is still replayed, and resolved, as before.
      const [left] = await store.deadLetters(7, 10);
      await store.resolveDeadLetter(7, left!.id);
      expect(await store.cursor(7, 0)).toMatchObject({ sent: 1, dead_lettered: 0 });

      expect(await store.eraseUsers(ws, [alice])).toBe(0);
      expect(await store.eraseUsers(ws, [])).toBe(0);
      expect(await store.eraseUsers(other, [alice])).toBe(3);
      expect(await store.deadLetters(9, 10)).toEqual([]);
      expect(await store.endSeq()).toBe(4);
    });

    it('erases some users at once: a dead letter holding several of them is rewritten once, or goes when only theirs', async () => {
      const carol = parseMpid('77')!;
      await store.append([row(1), row(2, { mpid: bob }), row(3, { mpid: carol }), row(4)]);
      await store.cursor(7, 0);
      const [a1, b2, c3, a4] = await store.read(ws, 0, 10);
      const letter = (key: string, batches: StreamBatch[]) => ({ key, batches, changes: [], error: 'down', attempts: 1, createdAtMs: 1 });
      const change = (mpid: Mpid) => ({ audienceId: 3, audienceName: 'Gold', mpid, change: 'added' as const, atMs: 1, identities: {} });
      await store.commit(7, {
        workspaceId: ws, end: 4, counts: { ...zero, dead_lettered: 7 }, lastError: null,
        deadLetters: [letter('7-1-3', [a1!, b2!, c3!]), letter('7-4-4', [a4!]), { ...letter('7-c', []), changes: [change(alice), change(carol), change(bob)] }],
      });

      // Stream batches 1, 3 and 4; dead-lettered batches 1, 3 and 4; 2 changes.
      expect(await store.eraseUsers(ws, [alice, carol])).toBe(8);

      expect((await store.read(ws, 0, 10)).map((b) => [b.seq, b.mpid])).toEqual([[2, bob]]);
      expect((await store.deadLetters(7, 10)).map((d) => [d.key, d.batches.map((b) => b.mpid), d.changes.map((c) => c.mpid)])).toEqual([
        ['7-1-3', [bob], []],
        ['7-c', [], [bob]],
      ]);
      expect((await store.cursor(7, 0)).dead_lettered).toBe(2);
      expect(await store.eraseUsers(ws, [carol, alice])).toBe(0);
    });

    it('keeps everything across a reopen', async () => {
      await store.append([row(1)]);
      await store.cursor(7, 0);
      await store.claim(7, 1);
      await store.close();
      store = await open(file);
      expect(await store.endSeq()).toBe(1);
      expect(await store.cursor(7, 0)).toMatchObject({ committed: 0, claimed: 1 });
    });
  });
}

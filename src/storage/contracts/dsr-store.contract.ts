import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Mpid, workspaceId } from '../../kernel/ids.ts';
import type { DsrRecord, NewCallback } from '../../privacy/dsr.ts';
import type { DsrStore } from '../../privacy/dsr-store.ts';

const ws = workspaceId(1);
const other = workspaceId(2);

/** A pending access request received at `atMs`, due then. */
export const dsrRecord = (id: string, extra: Partial<DsrRecord> = {}): DsrRecord => ({
  workspaceId: ws,
  version: 'v3',
  subjectRequestId: id,
  requestType: 'access',
  regulation: 'gdpr',
  submittedTime: '2026-01-01T00:00:00Z',
  identities: [{ type: 'email', value: 'a@example.com' }],
  mpids: [],
  statusCallbackUrls: ['http://127.0.0.1:9/cb'],
  groupId: null,
  skipWaitingPeriod: false,
  raw: '{"subject_request_id":"..."}',
  fingerprint: `fp-${id}`,
  status: 'pending',
  history: [{ status: 'pending', atMs: 1000 }],
  receivedAtMs: 1000,
  dueAtMs: 1000,
  expectedCompletionMs: 1000 + 48 * 3_600_000,
  resolution: null,
  forwarding: null,
  erasure: null,
  results: null,
  resultsExpireAtMs: null,
  resultsRemovedAtMs: null,
  attempts: 0,
  lastError: null,
  ...extra,
});

const callback = (body: string, url = 'http://127.0.0.1:9/cb'): NewCallback => ({ url, version: 'v3', body });

/** The DSR store contract, run against every adapter. */
export function dsrStoreContract(name: string, open: (location: string) => Promise<DsrStore>, newLocation: () => string) {
  describe(`DsrStore contract: ${name}`, () => {
    let location: string;
    let store: DsrStore;

    beforeEach(async () => {
      location = newLocation();
      store = await open(location);
    });
    afterEach(async () => {
      await store.close();
    });

    it('keeps a request with everything it was created with, and survives reopening', async () => {
      const record = dsrRecord('a', { mpids: ['-9223372036854775807' as Mpid], groupId: 'g', skipWaitingPeriod: true });
      expect(await store.create(record, [callback('{"s":"pending"}')])).toEqual({ kind: 'created' });
      await store.close();
      store = await open(location);
      expect(await store.request(ws, 'a')).toEqual(record);
      expect(await store.request(other, 'a')).toBeUndefined();
      expect((await store.callbacks(ws, 'a')).map((c) => [c.body, c.attempts, c.nextTryAtMs, c.givenUp])).toEqual([['{"s":"pending"}', 0, 1000, false]]);
    });

    it('refuses the same id in a workspace, and an open request with the same fingerprint', async () => {
      await store.create(dsrRecord('a', { fingerprint: 'same' }), []);
      expect(await store.create(dsrRecord('a', { fingerprint: 'new' }), [callback('x')])).toEqual({ kind: 'exists' });
      expect(await store.create(dsrRecord('b', { fingerprint: 'same' }), [])).toEqual({ kind: 'open', subjectRequestId: 'a' });
      expect(await store.create(dsrRecord('a', { workspaceId: other, fingerprint: 'same' }), [])).toEqual({ kind: 'created' });
      expect(await store.callbacks(ws, 'a')).toEqual([]);
      await store.transition(ws, 'a', ['pending'], { status: 'cancelled', atMs: 2000 }, {}, []);
      expect(await store.create(dsrRecord('b', { fingerprint: 'same' }), [])).toEqual({ kind: 'created' });
    });

    it('moves a status only from the statuses named, with the history, the update and the callbacks in one go', async () => {
      await store.create(dsrRecord('a'), []);
      expect(await store.transition(ws, 'a', ['in_progress'], { status: 'completed', atMs: 2000 }, {}, [callback('no')])).toBeUndefined();
      expect(await store.transition(ws, 'zz', ['pending'], { status: 'in_progress', atMs: 2000 }, {}, [])).toBeUndefined();
      const moved = await store.transition(ws, 'a', ['pending'], { status: 'in_progress', atMs: 2000 }, { resolution: { mpids: ['5' as Mpid], identities: { email: 'a@example.com' } } }, [callback('yes')]);
      expect(moved).toMatchObject({ status: 'in_progress', history: [{ status: 'pending', atMs: 1000 }, { status: 'in_progress', atMs: 2000 }], resolution: { mpids: ['5'] } });
      expect((await store.callbacks(ws, 'a')).map((c) => c.body)).toEqual(['yes']);
      await store.update(ws, 'a', { attempts: 2, lastError: 'boom', dueAtMs: 5000, results: { kind: 'none' }, resultsExpireAtMs: 9000 });
      expect(await store.request(ws, 'a')).toMatchObject({ status: 'in_progress', attempts: 2, lastError: 'boom', dueAtMs: 5000, results: { kind: 'none' } });
    });

    it('lists a group oldest first, due requests by due time, and counts by status', async () => {
      await store.create(dsrRecord('b', { groupId: 'g', receivedAtMs: 2000, dueAtMs: 3000 }), []);
      await store.create(dsrRecord('a', { groupId: 'g', receivedAtMs: 1000, dueAtMs: 9000 }), []);
      await store.create(dsrRecord('c', { groupId: 'g', workspaceId: other, dueAtMs: 100, status: 'completed' }), []);
      expect((await store.group(ws, 'g')).map((r) => r.subjectRequestId)).toEqual(['a', 'b']);
      expect((await store.due(5000, 10)).map((r) => r.subjectRequestId)).toEqual(['b']);
      expect((await store.due(10_000, 10)).map((r) => r.subjectRequestId)).toEqual(['b', 'a']);
      expect(await store.countByStatus()).toEqual({ pending: 2, in_progress: 0, completed: 1, cancelled: 0 });
    });

    it('serves callbacks due, one at a time per request and URL, and records each try', async () => {
      await store.create(dsrRecord('a'), [callback('p1'), callback('p2', 'http://127.0.0.1:9/other')]);
      await store.transition(ws, 'a', ['pending'], { status: 'in_progress', atMs: 1500 }, {}, [callback('i1')]);
      const first = await store.dueCallbacks(2000, 10);
      expect(first.map((c) => c.body)).toEqual(['p1', 'p2']);
      await store.settleCallback(first[0]!.id, { kind: 'retry', error: 'HTTP 500', nextTryAtMs: 3000 });
      await store.settleCallback(first[1]!.id, { kind: 'delivered', atMs: 2000 });
      expect(await store.dueCallbacks(2500, 10)).toEqual([]);
      const again = await store.dueCallbacks(3000, 10);
      expect(again.map((c) => [c.body, c.attempts, c.lastError])).toEqual([['p1', 1, 'HTTP 500']]);
      await store.settleCallback(again[0]!.id, { kind: 'given_up', error: 'refused' });
      expect((await store.dueCallbacks(3000, 10)).map((c) => c.body)).toEqual(['i1']);
      const all = await store.callbacks(ws, 'a');
      expect(all.map((c) => [c.body, c.givenUp, c.deliveredAtMs])).toEqual([
        ['p1', true, null],
        ['p2', false, 2000],
        ['i1', false, null],
      ]);
    });

    it('names expired results until removed, and purges old requests with their callbacks and files', async () => {
      const file = { kind: 'file' as const, path: '/tmp/x.zip', bytes: 10 };
      await store.create(dsrRecord('old', { receivedAtMs: 100, status: 'completed', results: file, resultsExpireAtMs: 500 }), [callback('x')]);
      await store.create(dsrRecord('new', { receivedAtMs: 5000 }), [callback('y')]);
      expect((await store.expiredResults(400)).map((r) => r.subjectRequestId)).toEqual([]);
      expect((await store.expiredResults(600)).map((r) => r.subjectRequestId)).toEqual(['old']);
      await store.update(ws, 'old', { resultsRemovedAtMs: 600 });
      expect(await store.expiredResults(600)).toEqual([]);
      expect(await store.purge(1000)).toEqual({ requests: 1, files: ['/tmp/x.zip'] });
      expect(await store.request(ws, 'old')).toBeUndefined();
      expect(await store.callbacks(ws, 'old')).toEqual([]);
      expect(await store.request(ws, 'new')).toBeDefined();
    });
  });
}

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErasureJob, ErasureStore } from '../../erasure/erasure-store.ts';
import { type Mpid, parseMpid, workspaceId } from '../../kernel/ids.ts';

const ws = workspaceId(1);
const mpid = (m: string) => parseMpid(m) as Mpid;

export function job(id: string, over: Partial<ErasureJob> = {}): ErasureJob {
  const mpids = over.mpids ?? [mpid('-9223372036854775808'), mpid('42')];
  return {
    id,
    workspaceId: ws,
    mpids,
    usersTotal: mpids.length,
    notFound: 0,
    status: 'queued',
    usersDone: 0,
    rows: 0,
    createdAtMs: 1000,
    updatedAtMs: 1000,
    completedAtMs: null,
    ...over,
  };
}

/**
 * The erasure store contract. Every adapter runs this suite with a factory that opens a store at
 * a location (the same location twice means "reopen": jobs must survive).
 */
export function erasureStoreContract(name: string, open: (location: string) => Promise<ErasureStore>, newLocation: () => string) {
  describe(`ErasureStore contract: ${name}`, () => {
    let location: string;
    let store: ErasureStore;

    beforeEach(async () => {
      location = newLocation();
      store = await open(location);
    });
    afterEach(async () => {
      await store.close();
    });

    it('stores a job, exact MPIDs included, and reads it in its workspace only', async () => {
      await store.create(job('a', { notFound: 2 }));
      expect(await store.get(ws, 'a')).toEqual(job('a', { notFound: 2 }));
      expect(await store.get(workspaceId(2), 'a')).toBeUndefined();
      expect(await store.get(ws, 'b')).toBeUndefined();
    });

    it('records progress durably, lists unfinished jobs oldest first, and forgets the MPIDs of a job done', async () => {
      await store.create(job('late', { createdAtMs: 3000 }));
      await store.create(job('early', { createdAtMs: 2000 }));
      await store.create(job('done', { createdAtMs: 1000 }));
      await store.progress('early', { usersDone: 1, rows: 10, status: 'in_progress', atMs: 2500 });
      await store.progress('done', { usersDone: 2, rows: 20, status: 'done', atMs: 4000 });
      await store.close();
      store = await open(location);
      expect((await store.unfinished()).map((j) => [j.id, j.status, j.usersDone])).toEqual([
        ['early', 'in_progress', 1],
        ['late', 'queued', 0],
      ]);
      expect(await store.get(ws, 'early')).toMatchObject({ rows: 10, updatedAtMs: 2500, completedAtMs: null, mpids: job('x').mpids });
      expect(await store.get(ws, 'done')).toMatchObject({ status: 'done', usersDone: 2, usersTotal: 2, rows: 20, completedAtMs: 4000, mpids: [] });
    });
  });
}

import { join } from 'node:path';
import { afterEach } from 'vitest';
import { IdentityGraph, type IdSyncRequest } from '../../src/identity/identity-graph.ts';
import type { Identities } from '../../src/identity/identity-types.ts';
import type { IdentityStrategy } from '../../src/identity/strategy.ts';
import type { Mpid } from '../../src/kernel/ids.ts';
import { SqliteIdentityStore } from '../../src/storage/sqlite/sqlite-identity-store.ts';
import { tempDir } from './temp-dir.ts';

const stores: SqliteIdentityStore[] = [];
let registered = false;

/**
 * An identity graph on a real SQLite store in a temp dir, with a clock that ticks once per call;
 * the stores are closed after each test. Pass `file` to reopen a graph's store.
 */
export async function testGraph(strategy: IdentityStrategy, file = join(tempDir('graph'), 'state.sqlite')) {
  if (!registered) {
    registered = true;
    afterEach(async () => {
      for (const s of stores.splice(0)) await s.close();
    });
  }
  const store = new SqliteIdentityStore(file);
  stores.push(store);
  let t = 1_000;
  const g = await IdentityGraph.load({ store, strategyFor: () => strategy, now: () => ++t });
  const close = async () => {
    stores.splice(stores.indexOf(store), 1);
    await store.close();
  };
  return { g, file, store, close };
}

/** An IDSync request as the Identity API (or, for `events`, the Events API) would make it. */
export const idsyncRequest = (operation: IdSyncRequest['operation'], known: Identities, previousMpid?: Mpid): IdSyncRequest => ({
  operation,
  source: operation === 'events' ? 'events_api' : 'identity_api',
  known,
  previousMpid,
});

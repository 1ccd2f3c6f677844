import { describe, expect, it } from 'vitest';
import { type Mpid, workspaceId } from '../kernel/ids.ts';
import { idsyncRequest, testGraph } from '../../test/helpers/identity-graph.ts';
import { AliasRegistry } from './aliasing.ts';
import { DEFAULT_STRATEGY } from './strategy.ts';

const ws = workspaceId(1);

describe('AliasRegistry.forget', () => {
  it('drops the alias requests naming erased users, as source or destination, and no others', async () => {
    const { g, store } = await testGraph(DEFAULT_STRATEGY);
    const [a, b, c] = (await Promise.all(['a', 'b', 'c'].map(async (id) => (await g.resolve(ws, idsyncRequest('identify', { customer_id: id }))).mpid))) as [Mpid, Mpid, Mpid];
    const registry = await AliasRegistry.load(store, g, () => DEFAULT_STRATEGY, () => 10);
    await registry.accept(ws, { sourceMpid: a, destinationMpid: b }, 0);
    await registry.accept(ws, { sourceMpid: c, destinationMpid: a }, 0);
    await registry.accept(ws, { sourceMpid: c, destinationMpid: b }, 0);
    const [d, e] = (await Promise.all(['d', 'e'].map(async (id) => (await g.resolve(ws, idsyncRequest('identify', { customer_id: id }))).mpid))) as [Mpid, Mpid];
    await registry.accept(ws, { sourceMpid: d, destinationMpid: e }, 0);
    expect(registry.forget(workspaceId(2), [a])).toBe(0);
    expect(registry.forget(ws, [a, '99' as Mpid, e])).toBe(3);
    expect(registry.due().map((r) => [r.sourceMpid, r.destinationMpid])).toEqual([[c, b]]);
    // Each user's record and 2 history events, and the requests naming them: 2 of a's, 1 of e's.
    expect(await g.eraseUsers(ws, [a, e])).toBe(9);
    expect((await store.loadAliases()).map((r) => [r.sourceMpid, r.destinationMpid])).toEqual([[c, b]]);
  });
});

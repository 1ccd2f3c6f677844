import type { WorkspaceId } from '../kernel/ids.ts';
import type { PlatformStore } from '../platform/platform-store.ts';
import type { Capability } from '../runtime/capability.ts';
import { aliasRoutes } from './alias.routes.ts';
import { AliasWorker } from './alias-worker.ts';
import { AliasRegistry } from './aliasing.ts';
import { IdentityApi } from './identity-api.ts';
import { identityExplainRoutes } from './identity-explain.routes.ts';
import { IdentityGraph } from './identity-graph.ts';
import { identityRoutes } from './identity.routes.ts';
import type { IdentityStore } from './identity-store.ts';
import { IdSyncResolver } from './idsync-resolver.ts';
import type { IdentityStrategy } from './strategy.ts';
import { identityStrategies } from './workspace-strategies.ts';

declare module '../runtime/capability.ts' {
  interface StoreKinds {
    identity: IdentityStore;
  }
  interface AppServices {
    /** The identity graph, in memory: IDSync's answers. */
    graph: IdentityGraph;
    /** Each workspace's IDSync strategy. */
    strategyFor: (ws: WorkspaceId) => IdentityStrategy;
    /** Ingest's resolver: the user each batch belongs to, at the edge. */
    identityResolver: IdSyncResolver;
    /** Applies alias requests once due (tests run it with `runDue`). */
    aliasWorker: AliasWorker;
  }
}

/** The graph in memory and the alias requests, from the identity store. */
async function loadIdentity(store: IdentityStore, platform: PlatformStore) {
  const strategyFor = identityStrategies(platform);
  const graph = await IdentityGraph.load({ store, strategyFor });
  const aliases = await AliasRegistry.load(store, graph, strategyFor);
  return { strategyFor, graph, aliases };
}

/** IDSync: the Identity API, ingest's resolution at the edge, aliasing, and why an identity is on a profile. */
export const identity: Capability = {
  name: 'identity',
  async app(ctx) {
    const { strategyFor, graph, aliases } = await loadIdentity(await ctx.store('identity'), await ctx.store('platform'));
    const inputs = ctx.use('inputs');
    ctx.provide('graph', graph);
    ctx.provide('strategyFor', strategyFor);
    ctx.provide('identityResolver', new IdSyncResolver(graph));
    ctx.routes(identityRoutes, { identity: new IdentityApi(graph), inputs });
    ctx.routes(aliasRoutes, { aliases, inputs, aliasDelayMs: ctx.config.aliasDelayMs });
    ctx.tenantRoutes(identityExplainRoutes, { graph }, { api: 'identity', area: 'user_activity' });
    // An alias request's effects are the processor thread's: it holds the profiles it changes until
    // its flush, and it alone opens the event store.
    const worker = new AliasWorker({
      registry: aliases,
      profiles: { alias: (...args) => ctx.call('profiles.alias', ...args) },
      events: { copyEvents: (...args) => ctx.call('events.copyEvents', ...args) },
      logger: ctx.logger,
    });
    ctx.provide('aliasWorker', worker);
    // First on the app thread: once forgotten, no request resolves to the user, and its MPID is never given again.
    ctx.eraser('identity', async (ws, mpids) => {
      aliases.forget(ws, mpids);
      return graph.eraseUsers(ws, mpids);
    });
    ctx.job(worker);
  },
  processor(ctx) {
    // A replay rebuilt profiles and events from the log; what aliasing copied is not in it.
    ctx.onReplayed(async () => {
      const { aliases } = await loadIdentity(await ctx.store('identity'), await ctx.store('platform'));
      const worker = new AliasWorker({ registry: aliases, profiles: ctx.use('profiles'), events: ctx.use('events'), logger: ctx.logger });
      await worker.reapplyCompleted();
    });
  },
};

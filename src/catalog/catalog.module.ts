import type { Capability } from '../runtime/capability.ts';
import type { CatalogStore } from './catalog-store.ts';
import { catalogRoutes } from './catalog.routes.ts';
import { catalogStage } from './catalog.stage.ts';

declare module '../runtime/capability.ts' {
  interface StoreKinds {
    catalog: CatalogStore;
  }
}

/**
 * The data catalog: every event, attribute and identity processed, and the plans covering them;
 * a partner feed's events described as its contract describes them.
 */
export const catalog: Capability = {
  name: 'catalog',
  async processor(ctx) {
    const feeds = ctx.use('feedContracts');
    const store = await ctx.store('catalog');
    ctx.stage(catalogStage({ store, descriptions: (record) => feeds.descriptionsOf(record.inputId) }));
    // The stage keeps nothing past its flush, which the erasure's exclusive section runs first: the store holds every example.
    ctx.eraser('catalog', (ws, mpids) => store.eraseUsers(ws, mpids));
  },
  async app(ctx) {
    const plans = ctx.use('planRegistry');
    ctx.tenantRoutes(catalogRoutes, { catalog: await ctx.store('catalog'), activePlans: (ws) => plans.active(ws) }, { api: 'platform', area: 'catalog' });
  },
};

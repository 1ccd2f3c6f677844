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
    ctx.stage(catalogStage({ store: await ctx.store('catalog'), descriptions: (record) => feeds.descriptionsOf(record.inputId) }));
  },
  async app(ctx) {
    const plans = ctx.use('planRegistry');
    ctx.tenantRoutes(catalogRoutes, { catalog: await ctx.store('catalog'), activePlans: (ws) => plans.active(ws) }, { api: 'platform', area: 'catalog' });
  },
};

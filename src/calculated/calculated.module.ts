import type { Capability } from '../runtime/capability.ts';
import { CalculatedService } from './calculated-service.ts';
import type { CalculatedStore } from './calculated-store.ts';
import { calculatedRoutes } from './calculated.routes.ts';

declare module '../runtime/capability.ts' {
  interface StoreKinds {
    /** Calculated attributes: definitions, computations and every user's states. */
    calculated: CalculatedStore;
  }
}

/**
 * Calculated attributes (mParticle's): the Platform API v2 definitions, computed by the processor
 * as events arrive, activated from the event store's history, seeded through the Seeding API, and
 * shown in the Profile API, the live stream and the event store.
 */
export const calculated: Capability = {
  name: 'calculated',
  async app(ctx) {
    const { retentionDays, maxActive } = ctx.config.calculated;
    const calculated = new CalculatedService(await ctx.store('calculated'), { retentionDays, maxActive });
    ctx.tenantRoutes(calculatedRoutes, { calculated });
  },
};

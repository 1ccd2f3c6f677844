import type { Capability } from '../runtime/capability.ts';
import type { CalculatedStore } from './calculated-store.ts';
import { SeedingService } from './seeding-service.ts';
import { seedingRoutes } from './seeding.routes.ts';

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
    const seeding = new SeedingService({ calculated: await ctx.store('calculated'), graph: ctx.use('graph'), write: ctx.use('ingest'), limits: ctx.config.limits });
    ctx.routes(seedingRoutes, { seeding, inputs: ctx.use('inputs') });
  },
};
